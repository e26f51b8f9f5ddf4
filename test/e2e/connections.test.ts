/**
 * Connection limits under a small open-file limit (ulimit -n 160, as a container might have): many
 * idle connections to all three listeners, silent ones, half-sent requests and keep-alive ones left
 * open, must not exhaust the server's file descriptors. Each listener holds maxConnections at most and
 * closes the rest at once (counted in ducktrace_connections_refused_total); the ones it holds are
 * closed after idleTimeoutMs; and afterwards the real SDK exporters deliver over OTLP/HTTP and
 * OTLP/gRPC, DuckDB commits, and SQL answers, with no "Too many open files" anywhere.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { fetchMetrics, getJson, labelledMetricValue, makeProvider, removeTempDirs, sqlRows, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const MAX_CONNECTIONS = 20;
const IDLE_TIMEOUT_MS = 3_000;
/** Per listener; all three together hold more than the open-file limit allows. */
const FLOOD = 60;
const OPEN_FILE_LIMIT = 160;

let server: ServerHandle;

before(async () => {
  server = await startServer({
    openFileLimit: OPEN_FILE_LIMIT,
    env: { DUCKTRACE_MAX_CONNECTIONS: String(MAX_CONNECTIONS), DUCKTRACE_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) },
  });
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

/** Opens a connection that sends `greeting` (if any) and then nothing; resolves when the server closes it. */
function idleConnection(port: number, greeting: string): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port }, () => {
    if (greeting !== '') socket.write(greeting);
  });
  socket.on('error', () => {});
  // Whatever the server answers is read and dropped; only the close matters.
  socket.resume();
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

const HTTP_GREETINGS = [
  '',
  // Headers and a piece of the announced body, then silence.
  'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nabc',
  // Half the headers.
  'GET /api/v1/services HTTP/1.1\r\nHost: 127.0.0.1\r\n',
  // A whole request, answered; then the connection is kept alive and left idle.
  'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
];
const GRPC_GREETINGS = ['', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'];

test('idle connections beyond the cap are refused, the rest closed when idle, and the server keeps storing spans', async () => {
  const listeners = [
    { name: 'otlp_http', port: server.ports.otlpHttp, greetings: HTTP_GREETINGS },
    { name: 'otlp_grpc', port: server.ports.otlpGrpc, greetings: GRPC_GREETINGS },
    { name: 'query', port: server.ports.http, greetings: HTTP_GREETINGS },
  ];
  const connections = listeners.flatMap(({ port, greetings }) => Array.from({ length: FLOOD }, (_, i) => idleConnection(port, greetings[i % greetings.length]!)));
  let closed = 0;
  for (const connection of connections) void connection.closed.then(() => closed++);
  await waitFor(async () => (closed === connections.length ? true : undefined), `the server to close all ${connections.length} idle connections (${closed} so far)`, 30_000);

  const metrics = await fetchMetrics(server);
  for (const { name } of listeners) {
    assert.equal(labelledMetricValue(metrics, 'ducktrace_connections_refused_total', { listener: name }), FLOOD - MAX_CONNECTIONS, `${name}: connections refused beyond the cap`);
  }

  for (const [name, exporter] of [
    ['OTLP/HTTP', new HttpProtoExporter({ url: `${server.otlpHttpUrl}/v1/traces` })],
    ['OTLP/gRPC', new GrpcExporter({ url: server.otlpGrpcUrl })],
  ] as const) {
    const provider = makeProvider({ 'service.name': `connections-${name}` }, exporter);
    const span = provider.provider.getTracer('e2e-connections').startSpan('after the flood', {}, ROOT_CONTEXT);
    span.end();
    await provider.flush();
    await provider.shutdown();
    provider.exporter.assertAllSucceeded();
    await waitForStored(server.queryUrl);
    const trace = await getJson<{ spanCount: number }>(`${server.queryUrl}/api/v1/traces/${span.spanContext().traceId}`);
    assert.equal(trace.status, 200, `${name}: ${JSON.stringify(trace.body)}`);
  }
  assert.deepEqual(await sqlRows(server, "SELECT count(*) FROM spans WHERE name = 'after the flood'"), [['2']]);
  assert.doesNotMatch(server.stdout() + server.stderr(), /EMFILE|too many open files/i);
});
