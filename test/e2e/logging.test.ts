/**
 * The server's log, as an operator reads it: every line on stdout a JSON entry with level, time and
 * message, one entry per query API request (method, path, status, response time) that carries no token
 * and no query value, warnings at warn, nothing on stderr; `logFormat: text` gives readable lines, and
 * `logLevel: warn` drops the info entries, at start and after a reload.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { segmentFileName } from '../../collector/wal/writeAheadLog.js';
import { makeTrace, postOtlp, PROTOBUF, protobufRequest } from '../helpers/otlp.js';
import { logEntries, makeTempDir, removeTempDirs, runServerToExit, spawnServer, startServer, waitFor, type LogEntry, type ServerHandle } from '../helpers/server.js';

const READ_TOKEN = 'read-token-logging-0123456789';
const AUTH = { authorization: `Bearer ${READ_TOKEN}` };
const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

/** A data directory whose write-ahead log holds a file that is no segment: the server warns of it at start. */
function dataDirWithDamagedWal(): string {
  const dataDir = makeTempDir();
  mkdirSync(join(dataDir, 'wal'));
  writeFileSync(join(dataDir, 'wal', segmentFileName(1n)), 'these bytes are no write-ahead log segment at all');
  return dataDir;
}

function requestEntries(entries: LogEntry[]): LogEntry[] {
  return entries.filter((entry) => entry.msg === 'request completed');
}

test('stdout is JSON entries: listening and the requests at info, a 400 among them, the damaged log at warn; no token, no query value, nothing on stderr', async () => {
  const server = await startServer({ dataDir: dataDirWithDamagedWal(), env: { DUCKTRACE_READ_TOKENS: READ_TOKEN } });
  servers.push(server);
  assert.equal((await fetch(`${server.queryUrl}/api/v1/services`, { headers: AUTH })).status, 200);
  assert.equal((await fetch(`${server.queryUrl}/api/v1/traces?service=checkout-7f3a&limit=many`, { headers: AUTH })).status, 400);
  assert.equal((await fetch(`${server.queryUrl}/api/v1/services`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
  assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace()), { contentType: PROTOBUF })).status, 200);
  // The request entry is written once the answer is sent.
  await waitFor(async () => (requestEntries(logEntries(server.stdout())).length >= 3 ? true : undefined), 'three request entries');
  const exit = await server.stop();
  assert.equal(exit.code, 0, exit.stdout);

  const entries = logEntries(exit.stdout);
  for (const entry of entries) {
    assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(entry.level), `level by name: ${JSON.stringify(entry)}`);
    assert.equal(new Date(entry.time).toISOString(), entry.time, `ISO time: ${JSON.stringify(entry)}`);
  }
  const listening = entries.find((entry) => entry.msg === `query listening on ${server.queryUrl}`);
  assert.equal(listening?.level, 'info', 'the listening line is an info entry');

  const [ok, bad, refused] = requestEntries(entries);
  assert.deepEqual(
    { level: ok!.level, method: ok!.method, url: ok!.url, statusCode: ok!.statusCode },
    { level: 'info', method: 'GET', url: '/api/v1/services', statusCode: 200 },
  );
  assert.equal(typeof ok!.responseTime, 'number');
  assert.deepEqual({ url: bad!.url, statusCode: bad!.statusCode }, { url: '/api/v1/traces?service&limit', statusCode: 400 }, 'the 400, with the parameter names only');
  assert.equal(refused!.statusCode, 401);
  assert.ok(requestEntries(entries).every((entry) => entry.component === 'query'), 'OTLP exports are not logged at info');

  const warning = entries.find((entry) => /WRITE-AHEAD LOG CORRUPTION: WAL segment .* not a WAL segment/.test(entry.msg));
  assert.equal(warning?.level, 'warn', 'the damaged segment is a warning');
  assert.equal(warning?.component, 'wal');
  assert.ok(entries.some((entry) => entry.level === 'info' && /SIGTERM received/.test(entry.msg)));

  assert.doesNotMatch(exit.stdout, /read-token-logging|wrong-token/, 'no token is logged');
  assert.doesNotMatch(exit.stdout, /checkout-7f3a|many/, 'no query value is logged');
  assert.equal(exit.stderr, '', 'nothing on stderr');
});

test('logFormat text: one readable line per entry, the fields after the message', async () => {
  const server = await startServer({ env: { DUCKTRACE_LOG_FORMAT: 'text' } });
  servers.push(server);
  assert.equal((await fetch(`${server.queryUrl}/api/services?lookback=1h`)).status, 200);
  await waitFor(async () => (server.stdout().includes('request completed') ? true : undefined), 'the request entry');
  const exit = await server.stop();
  assert.equal(exit.code, 0, exit.stdout);

  const lines = exit.stdout.trimEnd().split('\n');
  for (const line of lines) {
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/, 'time, level, message');
  }
  assert.ok(lines.some((line) => line.slice(24).startsWith(` INFO  query listening on ${server.queryUrl} `)), exit.stdout);
  assert.ok(
    lines.some((line) => / INFO {2}request completed .*method=GET url=\/api\/services\?lookback statusCode=200 responseTime=\d/.test(line)),
    exit.stdout,
  );
  assert.equal(exit.stderr, '');
});

test('at debug, OTLP exports and grpc-js have entries of their own, and stderr stays empty', async () => {
  const server = await startServer({ env: { DUCKTRACE_LOG_LEVEL: 'debug', GRPC_VERBOSITY: 'DEBUG', GRPC_TRACE: 'server' } });
  servers.push(server);
  assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace()), { contentType: PROTOBUF })).status, 200);
  await waitFor(async () => (logEntries(server.stdout()).some((entry) => entry.component === 'otlp-http' && entry.msg === 'request completed') ? true : undefined), 'the export entry');
  const exit = await server.stop();
  const entries = logEntries(exit.stdout);
  const exported = entries.find((entry) => entry.component === 'otlp-http' && entry.msg === 'request completed')!;
  assert.deepEqual({ level: exported.level, method: exported.method, url: exported.url, statusCode: exported.statusCode }, { level: 'debug', method: 'POST', url: '/v1/traces', statusCode: 200 });
  assert.ok(entries.some((entry) => entry.component === 'grpc' && /Server constructed/.test(entry.msg)), 'grpc-js logs through the logger');
  assert.equal(exit.stderr, '');
});

/** A port free now, for a server whose listening lines its log level drops. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('logLevel warn drops the info entries and keeps the warnings', async () => {
  const port = await freePort();
  const { child, exited, out } = spawnServer(dataDirWithDamagedWal(), { DUCKTRACE_LOG_LEVEL: 'warn', DUCKTRACE_HTTP_PORT: String(port) });
  try {
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined), 'the server to answer', 30_000);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/services`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const exit = await exited;
  assert.equal(exit.code, 0, out.stdout);
  const entries = logEntries(exit.stdout);
  assert.deepEqual([...new Set(entries.map((entry) => entry.level))], ['warn'], exit.stdout);
  assert.ok(entries.some((entry) => /WRITE-AHEAD LOG CORRUPTION/.test(entry.msg)));
  assert.equal(exit.stderr, '');
});

test('a reload to logLevel warn applies at once: requests are no longer logged, a refused reload still is', async () => {
  const dir = makeTempDir();
  const configFile = join(dir, 'ducktrace.yaml');
  writeFileSync(configFile, 'logLevel: info\n');
  const server = await startServer({ env: { DUCKTRACE_CONFIG: configFile, DUCKTRACE_READ_TOKENS: READ_TOKEN } });
  servers.push(server);
  const status = async () => ((await (await fetch(`${server.queryUrl}/api/v1/status/config`, { headers: AUTH })).json()) as { settings: Record<string, unknown> }).settings;
  writeFileSync(configFile, 'logLevel: warn\n');
  process.kill(server.pid, 'SIGHUP');
  await waitFor(async () => ((await status()).logLevel === 'warn' ? true : undefined), 'logLevel warn in force');
  const before = logEntries(server.stdout()).length;
  assert.equal((await fetch(`${server.queryUrl}/api/v1/services`, { headers: AUTH })).status, 200);
  writeFileSync(configFile, 'logLevel: loud\n');
  process.kill(server.pid, 'SIGHUP');
  await waitFor(async () => (server.stdout().includes('refused') ? true : undefined), 'the refused reload to be logged');
  const exit = await server.stop();
  const later = logEntries(exit.stdout).slice(before);
  assert.ok(later.length > 0);
  for (const entry of later) assert.notEqual(entry.level, 'info', `no info entry after the reload: ${JSON.stringify(entry)}`);
  assert.match(later.find((entry) => entry.level === 'warn')!.msg, /refused, the previous configuration stays in force: .*logLevel="loud": expected one of trace, debug, info, warn, error/);
});

test('a start refused by a bad setting ends with a fatal entry naming it, on stdout, and exit code 1', async () => {
  const exit = await runServerToExit(makeTempDir(), { DUCKTRACE_LOG_LEVEL: 'chatty' });
  assert.equal(exit.code, 1);
  const entries = logEntries(exit.stdout);
  assert.equal(entries.length, 1, exit.stdout);
  assert.equal(entries[0]!.level, 'fatal');
  assert.equal(entries[0]!.msg, 'ducktrace: DUCKTRACE_LOG_LEVEL="chatty": expected one of trace, debug, info, warn, error');
  assert.equal(exit.stderr, '');
});
