/**
 * DNS rebinding and CORS on the query API: a request whose Host header names another site (what a page
 * on a rebinding domain sends) is refused, on the API, SQL and the UI alike, while localhost, IP
 * addresses and the configured names are answered. Cross-origin pages get an
 * Access-Control-Allow-Origin only when their origin is configured; with none configured, never. Both
 * lists follow a configuration reload. And a server bound beyond loopback without tokens says so loudly.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { logMessages, makeTempDir, removeTempDirs, spawnServer, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle;
let configFile: string;

before(async () => {
  configFile = join(makeTempDir(), 'ducktrace.yaml');
  writeFileSync(configFile, 'flushIntervalMs: 50\n');
  server = await startServer({ env: { DUCKTRACE_CONFIG: configFile } });
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with the headers as given, Host included (fetch would not send another Host). */
function send(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${server.queryUrl}${path}`, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

const port = (): number => server.ports.http;
const SQL = JSON.stringify({ sql: 'SELECT count(*) FROM spans' });

async function reloadWith(yaml: string): Promise<void> {
  const reloads = (server.stdout().match(/configuration reloaded/g) ?? []).length;
  writeFileSync(configFile, yaml);
  process.kill(server.pid, 'SIGHUP');
  await waitFor(async () => ((server.stdout().match(/configuration reloaded/g) ?? []).length > reloads ? true : undefined), 'the reload');
}

describe('the Host header', () => {
  test('a rebinding domain is refused on the API, SQL and the UI, with a message that says what to set', async () => {
    for (const [method, path, body] of [['GET', '/api/v1/services'], ['POST', '/api/v1/sql', SQL], ['GET', '/api/traces?service=x'], ['GET', '/search'], ['GET', '/metrics']] as const) {
      const answer = await send(path, { host: `evil.example:${port()}`, 'content-type': 'application/json' }, method, body);
      assert.equal(answer.status, 403, `${method} ${path}`);
      const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'host_not_allowed');
      assert.match(error.message, /does not answer to the host "evil\.example:\d+"; add it to allowedHosts \(DUCKTRACE_ALLOWED_HOSTS\)/);
    }
  });

  test('localhost, IP addresses and the machine are answered', async () => {
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, `192.168.1.20:${port()}`, 'LOCALHOST', `${hostname()}:${port()}`]) {
      const answer = await send('/api/v1/services', { host });
      assert.equal(answer.status, 200, `${host}: ${answer.body}`);
    }
    const sql = await send('/api/v1/sql', { host: `localhost:${port()}`, 'content-type': 'application/json' }, 'POST', SQL);
    assert.equal(sql.status, 200, sql.body);
  });

  test('configured names and domains are answered after a reload, and * answers any', async () => {
    assert.equal((await send('/api/v1/services', { host: 'traces.example.com' })).status, 403);
    await reloadWith('flushIntervalMs: 50\nallowedHosts: traces.example.com, .corp.example\n');
    assert.equal((await send('/api/v1/services', { host: 'traces.example.com' })).status, 200);
    assert.equal((await send('/api/v1/services', { host: 'ducktrace.eu.corp.example:443' })).status, 200);
    assert.equal((await send('/api/v1/services', { host: 'evil.example' })).status, 403);
    await reloadWith('flushIntervalMs: 50\nallowedHosts: "*"\n');
    assert.equal((await send('/api/v1/services', { host: 'evil.example' })).status, 200);
    await reloadWith('flushIntervalMs: 50\n');
    assert.equal((await send('/api/v1/services', { host: 'evil.example' })).status, 403);
  });
});

describe('cross-origin requests', () => {
  const GRAFANA = 'https://grafana.example.com';
  const host = (): string => `localhost:${port()}`;
  const preflight = (origin: string): Promise<Answer> =>
    send('/api/v1/sql', { host: host(), origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }, 'OPTIONS');

  test('with no origin configured, no page of another origin may read an answer', async () => {
    for (const origin of [GRAFANA, 'http://localhost:3000', 'null']) {
      const answer = await send('/api/v1/services', { host: host(), origin });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['access-control-allow-origin'], undefined, origin);
      assert.equal((await preflight(origin)).headers['access-control-allow-origin'], undefined, `preflight from ${origin}`);
    }
  });

  test('a configured origin is allowed, with its preflight for SQL and a token; others still are not', async () => {
    await reloadWith(`flushIntervalMs: 50\ncorsOrigins: ${GRAFANA}, http://localhost:3000\n`);
    const answer = await send('/api/v1/services', { host: host(), origin: GRAFANA });
    assert.equal(answer.headers['access-control-allow-origin'], GRAFANA);
    const allowed = await preflight(GRAFANA);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], GRAFANA);
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
    assert.equal((await send('/api/v1/services', { host: host(), origin: 'http://localhost:3000' })).headers['access-control-allow-origin'], 'http://localhost:3000');
    for (const origin of ['https://evil.example', 'https://grafana.example.com.evil.example', 'http://grafana.example.com']) {
      assert.equal((await send('/api/v1/services', { host: host(), origin })).headers['access-control-allow-origin'], undefined, origin);
      assert.equal((await preflight(origin)).headers['access-control-allow-origin'], undefined, `preflight from ${origin}`);
    }
  });
});

describe('the start warns when the ports are open to the network without tokens', () => {
  /** Starts a server bound to every interface, waits for its listening lines, stops it; returns the messages of its warnings. */
  async function startOnAllInterfaces(env: Record<string, string>): Promise<string> {
    const { child, exited, out } = spawnServer(makeTempDir(), { DUCKTRACE_HOST: '0.0.0.0', ...env });
    await waitFor(async () => (/query listening on/.test(out.stdout) ? true : undefined), 'the server to listen', 30_000);
    child.kill('SIGTERM');
    const exit = await exited;
    assert.equal(exit.code, 0, exit.stdout);
    return logMessages(out.stdout, ['warn']);
  }

  test('one loud line names the risk and the settings; with both tokens set, none', async () => {
    const open = await startOnAllInterfaces({});
    assert.match(
      open,
      /^ducktrace: WARNING: listening on 0\.0\.0\.0 without tokens: anyone who can reach these ports can send spans \(set DUCKTRACE_WRITE_TOKENS or DUCKTRACE_WRITE_TOKENS_FILE\) and read every trace and run SQL \(set DUCKTRACE_READ_TOKENS or DUCKTRACE_READ_TOKENS_FILE\)$/m,
    );
    const readOnly = await startOnAllInterfaces({ DUCKTRACE_READ_TOKENS: 'e2e-read-token-0123456789' });
    assert.match(readOnly, /WARNING: listening on 0\.0\.0\.0 without tokens: anyone who can reach these ports can send spans \(set/);
    assert.doesNotMatch(readOnly, /read every trace/);
    const closed = await startOnAllInterfaces({ DUCKTRACE_READ_TOKENS: 'e2e-read-token-0123456789', DUCKTRACE_WRITE_TOKENS: 'e2e-write-token-0123456789' });
    assert.doesNotMatch(closed, /WARNING: listening/);
    assert.doesNotMatch(server.stdout(), /WARNING: listening/, 'not on loopback');
  });
});
