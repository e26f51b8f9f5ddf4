/**
 * TLS on all three listeners with a certificate this test makes (openssl): the real OpenTelemetry SDK
 * exporters (OTLP/HTTP protobuf and JSON, OTLP/gRPC) deliver over https and TLS gRPC trusting it, the
 * query API answers over https, and plain connections get nothing. Replacing the certificate files
 * makes every listener serve the new certificate without a restart. A missing or mismatched pair stops
 * the start with a message naming the file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { logMessages, makeProvider, makeTempDir, metricValue, removeTempDirs, runServerToExit, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

interface Certificate {
  certFile: string;
  keyFile: string;
  /** The PEM certificate; self-signed, so clients trust it as its own authority. */
  pem: Buffer;
  fingerprint: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
function makeCertificate(dir: string, name: string): Certificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`]
      .concat(['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile]),
    { stdio: 'pipe' },
  );
  const pem = readFileSync(certFile);
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

let server: ServerHandle;
let dir: string;
let first: Certificate;
const served = { certFile: '', keyFile: '' };

before(async () => {
  dir = makeTempDir();
  first = makeCertificate(dir, 'ducktrace-e2e-first');
  served.certFile = join(dir, 'served.crt');
  served.keyFile = join(dir, 'served.key');
  copyFileSync(first.certFile, served.certFile);
  copyFileSync(first.keyFile, served.keyFile);
  server = await startServer({ env: { DUCKTRACE_TLS_CERT_FILE: served.certFile, DUCKTRACE_TLS_KEY_FILE: served.keyFile } });
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

/** The fingerprint of the certificate a listener serves (ALPN h2 for gRPC, as its clients ask). */
function servedFingerprint(port: number, ca: Buffer, alpn: string[] = ['http/1.1']): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: alpn }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

/** GET over https trusting `ca`. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .once('error', reject);
  });
}

async function exportTrace(exporter: SpanExporter, service: string): Promise<ReturnType<typeof makeProvider>> {
  const provider = makeProvider({ 'service.name': service }, exporter);
  const tracer = provider.provider.getTracer('e2e-tls');
  const root = tracer.startSpan('request', {}, ROOT_CONTEXT);
  tracer.startSpan('query', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
  root.end();
  await provider.flush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return provider;
}

const EXPORTERS: Array<{ name: string; make: (ca: Buffer) => SpanExporter }> = [
  { name: 'OTLP/HTTP protobuf', make: (ca) => new HttpProtoExporter({ url: `${server.otlpHttpUrl}/v1/traces`, httpAgentOptions: { ca } }) },
  { name: 'OTLP/HTTP JSON', make: (ca) => new HttpJsonExporter({ url: `${server.otlpHttpUrl}/v1/traces`, httpAgentOptions: { ca } }) },
  { name: 'OTLP/gRPC', make: (ca) => new GrpcExporter({ url: server.otlpGrpcUrl, credentials: grpc.credentials.createSsl(ca) }) },
];

describe('over TLS', () => {
  test('the listeners announce https and serve the certificate', async () => {
    for (const url of [server.otlpHttpUrl, server.otlpGrpcUrl, server.queryUrl]) assert.match(url, /^https:\/\//);
    assert.equal(await servedFingerprint(server.ports.otlpHttp, first.pem), first.fingerprint);
    assert.equal(await servedFingerprint(server.ports.otlpGrpc, first.pem, ['h2']), first.fingerprint);
    assert.equal(await servedFingerprint(server.ports.http, first.pem), first.fingerprint);
  });

  for (const exporter of EXPORTERS) {
    test(`${exporter.name}: the SDK exporter delivers trusting the certificate`, async () => {
      const before = metricValue((await httpsGet(`${server.queryUrl}/metrics`, first.pem)).body, 'ducktrace_spans_accepted_total');
      const provider = await exportTrace(exporter.make(first.pem), `tls-${exporter.name}`);
      provider.exporter.assertAllSucceeded();
      const after = metricValue((await httpsGet(`${server.queryUrl}/metrics`, first.pem)).body, 'ducktrace_spans_accepted_total');
      assert.equal(after - before, 2);
    });
  }

  test('the query API answers over https; plain HTTP and an untrusted client get nothing', async () => {
    const services = await httpsGet(`${server.queryUrl}/api/v1/services`, first.pem);
    assert.equal(services.status, 200, services.body);
    await assert.rejects(fetch(server.queryUrl.replace('https:', 'http:') + '/api/v1/services'));
    await assert.rejects(fetch(`${server.queryUrl}/api/v1/services`), 'a client that does not trust the certificate');
    const untrusted = await exportTrace(EXPORTERS[2]!.make(readFileSync(makeCertificate(dir, 'untrusted').certFile)), 'tls-untrusted');
    assert.notEqual(untrusted.exporter.results[0]?.error, undefined, 'gRPC export trusting another certificate fails');
  });

  test('replaced certificate files are served by every listener without a restart', async () => {
    const second = makeCertificate(dir, 'ducktrace-e2e-second');
    // The key first, as a renewal may: until the certificate follows, the pair does not match and the old one stays.
    renameSync(second.keyFile, served.keyFile);
    await waitFor(async () => (/the previous certificate stays in force/.test(server.stdout()) ? true : undefined), 'the mismatched pair to be reported');
    assert.equal(await servedFingerprint(server.ports.http, first.pem), first.fingerprint);
    renameSync(second.certFile, served.certFile);
    await waitFor(
      async () => ((await servedFingerprint(server.ports.http, second.pem).catch(() => '')) === second.fingerprint ? true : undefined),
      'the query API to serve the new certificate',
    );
    assert.equal(await servedFingerprint(server.ports.otlpHttp, second.pem), second.fingerprint);
    assert.equal(await servedFingerprint(server.ports.otlpGrpc, second.pem, ['h2']), second.fingerprint);
    assert.match(server.stdout(), /TLS certificate reloaded from .*served\.crt/);
    for (const exporter of EXPORTERS) {
      const provider = await exportTrace(exporter.make(second.pem), `tls-renewed-${exporter.name}`);
      provider.exporter.assertAllSucceeded();
    }
  });
});

describe('a certificate pair that cannot be loaded stops the start', () => {
  test('a missing file, or a key that is not the certificate’s', async () => {
    const other = makeCertificate(dir, 'other');
    const missing = await runServerToExit(makeTempDir(), { DUCKTRACE_TLS_CERT_FILE: join(dir, 'nope.crt'), DUCKTRACE_TLS_KEY_FILE: first.keyFile });
    assert.equal(missing.code, 1);
    assert.match(logMessages(missing.stdout, ['fatal']), /ducktrace: tlsCertFile: cannot read .*nope\.crt/);
    const mismatched = await runServerToExit(makeTempDir(), { DUCKTRACE_TLS_CERT_FILE: first.certFile, DUCKTRACE_TLS_KEY_FILE: other.keyFile });
    assert.equal(mismatched.code, 1);
    assert.match(logMessages(mismatched.stdout, ['fatal']), /are not a PEM certificate and its private key/);
  });
});
