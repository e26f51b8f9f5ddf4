/**
 * Tokens: with write tokens configured, the real OpenTelemetry SDK exporters (OTLP/HTTP protobuf and
 * JSON, OTLP/gRPC) deliver only with the right token, and are refused with 401 / UNAUTHENTICATED
 * otherwise, the same short answer whatever was wrong; with read tokens configured, the query API,
 * the Jaeger APIs, SQL and /metrics answer only with a read token, while the health checks and the UI's
 * page stay open. Replacing the tokens file swaps the tokens in force without a restart, and a broken
 * file leaves the previous ones in force.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { decodeStatus, GRPC_EXPORT_PATH, JSON_TYPE, makeTrace, postOtlp, PROTOBUF, protobufRequest, randomTraceId } from '../helpers/otlp.js';
import { getJson, makeProvider, makeTempDir, removeTempDirs, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const WRITE_TOKEN = 'e2e-write-token-0123456789';
const READ_TOKEN = 'e2e-read-token-0123456789';
const NEXT_READ_TOKEN = 'e2e-next-read-token-0123456789';
const WRITE_REFUSAL = 'a valid write token is required';
const READ_REFUSAL = 'a valid read token is required';

let server: ServerHandle;
let readTokensFile: string;
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
let reader = bearer(READ_TOKEN);

before(async () => {
  readTokensFile = join(makeTempDir(), 'read-tokens');
  writeFileSync(readTokensFile, `# the UI's token\n${READ_TOKEN}\n`);
  server = await startServer({ env: { DUCKTRACE_WRITE_TOKENS: `other-write-token-0123456789,${WRITE_TOKEN}`, DUCKTRACE_READ_TOKENS_FILE: readTokensFile } });
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

/** Replaces the file at once, as a secret mount or `mv` does. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

type Exporter = { name: string; make: (token: string | undefined) => SpanExporter; refusal: RegExp };

const EXPORTERS: Exporter[] = [
  {
    name: 'OTLP/HTTP protobuf',
    make: (token) => new HttpProtoExporter({ url: `${server.otlpHttpUrl}/v1/traces`, headers: token ? bearer(token) : {} }),
    refusal: /401/,
  },
  {
    name: 'OTLP/HTTP JSON',
    make: (token) => new HttpJsonExporter({ url: `${server.otlpHttpUrl}/v1/traces`, headers: token ? bearer(token) : {} }),
    refusal: /401/,
  },
  {
    name: 'OTLP/gRPC',
    make: (token) => {
      const metadata = new grpc.Metadata();
      if (token) metadata.set('authorization', `Bearer ${token}`);
      return new GrpcExporter({ url: server.otlpGrpcUrl, metadata });
    },
    refusal: /UNAUTHENTICATED|16/,
  },
];

/** Exports one two-span trace through a real SDK provider; returns its id and the provider (with the export results). */
async function exportTrace(exporter: SpanExporter, service: string): Promise<{ traceId: string; provider: ReturnType<typeof makeProvider> }> {
  const provider = makeProvider({ 'service.name': service }, exporter);
  const tracer = provider.provider.getTracer('e2e-auth');
  const root = tracer.startSpan('checkout', {}, ROOT_CONTEXT);
  tracer.startSpan('charge', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
  root.end();
  // A refused export rejects the flush too; the recorded results say how it ended.
  await provider.flush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return { traceId: root.spanContext().traceId, provider };
}

for (const exporter of EXPORTERS) {
  describe(exporter.name, () => {
    test('with a write token the export is stored', async () => {
      const { traceId, provider } = await exportTrace(exporter.make(WRITE_TOKEN), `auth-${exporter.name}`);
      provider.exporter.assertAllSucceeded();
      await waitForStored(server.queryUrl, 2_000, reader);
      const trace = await getJson<{ spanCount: number }>(`${server.queryUrl}/api/v1/traces/${traceId}`, reader);
      assert.equal(trace.status, 200, JSON.stringify(trace.body));
      assert.equal(trace.body.spanCount, 2);
    });

    for (const [label, token] of [
      ['without a token', undefined],
      ['with a read token instead', READ_TOKEN],
      ['with a wrong token', `${WRITE_TOKEN}x`],
    ] as const) {
      test(`${label} the export is refused as unauthenticated and nothing is stored`, async () => {
        const { traceId, provider } = await exportTrace(exporter.make(token), `auth-refused-${exporter.name}`);
        const [result, ...more] = provider.exporter.results;
        assert.equal(more.length, 0);
        assert.notEqual(result!.error, undefined, 'the export failed');
        assert.match(`${result!.error!.message} ${(result!.error as { code?: number }).code}`, exporter.refusal);
        await waitForStored(server.queryUrl, 2_000, reader);
        assert.equal((await getJson(`${server.queryUrl}/api/v1/traces/${traceId}`, reader)).status, 404);
      });
    }
  });
}

describe('the refusal says nothing but that a write token is needed', () => {
  test('OTLP/HTTP: 401 with a google.rpc.Status in the request encoding and WWW-Authenticate: Bearer', async () => {
    const body = protobufRequest(makeTrace(randomTraceId(), 1, 'auth-raw'));
    const answers: string[] = [];
    for (const authorization of [undefined, `Bearer ${WRITE_TOKEN.slice(0, -1)}`, `Basic ${WRITE_TOKEN}`, `Bearer ${READ_TOKEN}`]) {
      const response = await fetch(`${server.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': PROTOBUF, ...(authorization ? { authorization } : {}) },
        body: new Uint8Array(body),
      });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal(response.headers.get('content-type'), PROTOBUF);
      const status = decodeStatus(Buffer.from(await response.arrayBuffer()));
      assert.deepEqual(status, { code: 16, message: WRITE_REFUSAL, details: 0 });
      answers.push(JSON.stringify(status));
    }
    assert.equal(new Set(answers).size, 1, 'the same answer for every wrong token');

    const json = await postOtlp(server.otlpHttpUrl, '{"resourceSpans":[]}', { contentType: JSON_TYPE });
    assert.equal(json.status, 401);
    assert.deepEqual(JSON.parse(json.body.toString()), { code: 16, message: WRITE_REFUSAL, details: [] });
  });

  test('OTLP/gRPC: UNAUTHENTICATED with the same message', async () => {
    for (const authorization of [undefined, `Bearer ${READ_TOKEN}`]) {
      const metadata = new grpc.Metadata();
      if (authorization) metadata.set('authorization', authorization);
      const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(GRPC_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, protobufRequest(makeTrace()), metadata, (e) => resolve(e ?? null)),
      );
      client.close();
      assert.equal(error?.code, grpc.status.UNAUTHENTICATED);
      assert.equal(error?.details, WRITE_REFUSAL);
    }
  });
});

const NATIVE_REFUSAL = { error: { code: 'unauthenticated', message: READ_REFUSAL } };

/** Each API answers the refusal in its own error format. */
const READ_ROUTES: Array<{ method: 'GET' | 'POST'; path: string; body?: string; refusal: unknown }> = [
  { method: 'GET', path: '/api/v1/services', refusal: NATIVE_REFUSAL },
  { method: 'GET', path: '/api/v1/traces?service=auth-raw', refusal: NATIVE_REFUSAL },
  { method: 'POST', path: '/api/v1/sql', body: JSON.stringify({ sql: 'SELECT count(*) FROM spans' }), refusal: NATIVE_REFUSAL },
  { method: 'GET', path: '/metrics', refusal: NATIVE_REFUSAL },
  { method: 'GET', path: '/api/services', refusal: { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 401, msg: READ_REFUSAL }] } },
  { method: 'GET', path: '/api/v3/services', refusal: { error: { httpCode: 401, message: READ_REFUSAL } } },
];

async function call(route: (typeof READ_ROUTES)[number], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.queryUrl}${route.path}`, {
    method: route.method,
    headers: { ...(route.body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: route.body,
  });
}

describe('the query API with read tokens', () => {
  test('every data route answers 401 without a read token, and with a write token', async () => {
    for (const route of READ_ROUTES) {
      for (const headers of [{}, bearer(WRITE_TOKEN), { authorization: READ_TOKEN }]) {
        const response = await call(route, headers);
        assert.equal(response.status, 401, `${route.method} ${route.path} with ${JSON.stringify(headers)}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        assert.deepEqual(await response.json(), route.refusal, `${route.method} ${route.path}`);
      }
    }
  });

  test('with a read token every data route answers', async () => {
    for (const route of READ_ROUTES) {
      const response = await call(route, reader);
      assert.equal(response.status, 200, `${route.method} ${route.path}: ${await response.text()}`);
    }
  });

  test('the health checks and the UI page open without a token', async () => {
    assert.equal((await fetch(`${server.queryUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.queryUrl}/readyz`)).status, 200);
    assert.notEqual((await fetch(`${server.queryUrl}/search`)).status, 401);
  });

  test('a replaced tokens file takes over without a restart; a broken one leaves the tokens in force', async () => {
    replaceFile(readTokensFile, `${NEXT_READ_TOKEN}\n`);
    await waitFor(
      async () => ((await getJson(`${server.queryUrl}/api/v1/services`, bearer(NEXT_READ_TOKEN))).status === 200 ? true : undefined),
      'the new read token to be accepted',
    );
    assert.equal((await getJson(`${server.queryUrl}/api/v1/services`, bearer(READ_TOKEN))).status, 401, 'the old read token is refused');
    assert.match(server.stdout(), /read tokens reloaded from .*read-tokens \(1 in force\)/);
    reader = bearer(NEXT_READ_TOKEN);

    replaceFile(readTokensFile, '# emptied by mistake\n');
    await waitFor(async () => (/holds no token; the previous read tokens stay in force/.test(server.stdout()) ? true : undefined), 'the broken file to be reported');
    assert.equal((await getJson(`${server.queryUrl}/api/v1/services`, reader)).status, 200);
    assert.equal((await getJson(`${server.queryUrl}/api/v1/services`)).status, 401);
  });
});
