/**
 * A reload does what it says, for every setting: each one in turn is changed in the config file and the
 * server is sent SIGHUP. A setting the settings table marks `live` is then in force (GET
 * /api/v1/status/config) and named in the reload's log line; one marked `restart` keeps its value, is
 * listed in `pendingRestart`, and is named in the reload's warning. And live limits change behaviour:
 * a search limit raised from 10 to 1000 accepts 50, SQL answers and exports follow their new bounds.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { describeSettings } from '../../core/config.js';
import { makeSpan, postOtlp, PROTOBUF, protobufRequest, randomTraceId } from '../helpers/otlp.js';
import { makeTempDir, removeTempDirs, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const READ_TOKEN = 'read-token-0123456789abcdef';
let server: ServerHandle;
let dir: string;
let configFile: string;
/** The file the server started with: every setting the test harness would set by environment is here instead. */
let base: Record<string, unknown>;
let reloads = 0;

before(async () => {
  dir = makeTempDir('ducktrace-reload-settings-');
  configFile = join(dir, 'ducktrace.yaml');
  base = { dataDir: join(dir, 'data'), host: '127.0.0.1', otlpHttpPort: 0, otlpGrpcPort: 0, httpPort: 0, maxSearchLimit: 10 };
  writeFileSync(configFile, stringify(base));
  // Empty variables count as unset, so the file decides these too and a reload can change them.
  const unset = { DUCKTRACE_DATA_DIR: '', DUCKTRACE_HOST: '', DUCKTRACE_OTLP_HTTP_PORT: '', DUCKTRACE_OTLP_GRPC_PORT: '', DUCKTRACE_HTTP_PORT: '', DUCKTRACE_FLUSH_INTERVAL_MS: '' };
  server = await startServer({ env: { ...unset, DUCKTRACE_CONFIG: configFile } });
});
after(async () => {
  await server?.stop();
  removeTempDirs();
});

const log = () => server.stdout() + server.stderr();

/** Writes `settings` over the base file, sends SIGHUP, and waits for the reload to be reported. */
async function reloadWith(settings: Record<string, unknown>): Promise<void> {
  writeFileSync(configFile, stringify({ ...base, ...settings }));
  process.kill(server.pid, 'SIGHUP');
  reloads++;
  const needle = 'configuration reloaded (SIGHUP)';
  await waitFor(async () => (log().split(needle).length - 1 >= reloads ? true : undefined), `reload ${reloads}`, 5_000, 20);
}

async function status(): Promise<{ settings: Record<string, unknown>; pendingRestart: string[] }> {
  const response = await fetch(`${server.queryUrl}/api/v1/status/config`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as { settings: Record<string, unknown>; pendingRestart: string[] };
}

/** A valid value other than the one in force, for each setting. */
function otherValue(key: string, current: unknown, max?: number): unknown {
  const tokenFile = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, `${READ_TOKEN}\n`);
    return file;
  };
  const special: Record<string, () => unknown> = {
    dataDir: () => join(dir, 'other-data'),
    host: () => '127.0.0.2',
    uiDir: () => join(dir, 'other-ui'),
    writeTokens: () => 'write-token-0123456789abcdef',
    readTokens: () => READ_TOKEN,
    writeTokensFile: () => tokenFile('write-tokens'),
    readTokensFile: () => tokenFile('read-tokens'),
    corsOrigins: () => 'https://grafana.example.com',
    allowedHosts: () => 'ducktrace.example.com',
    // Not warn or error: the reload's own info line must still be logged.
    logLevel: () => 'debug',
    logFormat: () => 'text',
  };
  if (special[key]) return special[key]!();
  if (typeof current === 'boolean') return !current;
  if (typeof current === 'number') return max !== undefined && current + 1 > max ? current - 1 : current + 1;
  throw new Error(`no other value for ${key}`);
}

test('every setting, changed in the file and reloaded, is either in force or named as waiting for a restart', async () => {
  const settings = describeSettings();
  const before = (await status()).settings;
  for (const setting of settings) {
    // The certificate and key go together; the pair is changed at once below.
    if (setting.key === 'tlsKeyFile') continue;
    const change = setting.key === 'tlsCertFile' ? { tlsCertFile: join(dir, 'x.crt'), tlsKeyFile: join(dir, 'x.key') } : { [setting.key]: otherValue(setting.key, before[setting.key]) };
    const warningsBefore = log().split('take effect only at a restart').length;
    await reloadWith(change);
    const { settings: inForce, pendingRestart } = await status();
    for (const [key, value] of Object.entries(change)) {
      const shown = key === 'writeTokens' || key === 'readTokens' ? '(set)' : value;
      if (setting.applies === 'live') {
        assert.equal(inForce[key], shown, `${key} is in force after the reload`);
        assert.deepEqual(pendingRestart, [], `${key}: nothing waits for a restart`);
      } else {
        assert.equal(inForce[key], before[key], `${key} keeps its value until a restart`);
        assert.ok(pendingRestart.includes(key), `${key} is listed as waiting for a restart: ${pendingRestart}`);
        assert.ok(log().split('take effect only at a restart').length > warningsBefore, `${key}: the reload warns`);
        assert.match(log().split('\n').filter((line) => line.includes('take effect only at a restart')).pop()!, new RegExp(`\\b${key}\\b`));
      }
    }
    // Back to the base file before the next setting.
    await reloadWith({});
  }
  assert.deepEqual((await status()).pendingRestart, [], 'the base file again: nothing waits');
});

test('a live limit changes what the server accepts: maxSearchLimit from 10 to 1000', async () => {
  const search = () => fetch(`${server.queryUrl}/api/v1/traces?limit=50`).then((r) => r.status);
  await reloadWith({});
  assert.equal(await search(), 400);
  await reloadWith({ maxSearchLimit: 1000 });
  assert.equal(await search(), 200);
});

test('live limits reach the parts that use them: sqlMaxRows for SQL answers, maxSpansPerRequest for exports', async () => {
  const rows = async () => {
    const response = await fetch(`${server.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT * FROM range(100)' }) });
    return ((await response.json()) as { rows: unknown[] }).rows.length;
  };
  const exportOf = async (spans: number) => {
    const traceId = randomTraceId();
    return (await postOtlp(server.otlpHttpUrl, protobufRequest(Array.from({ length: spans }, () => makeSpan({ traceId }))), { contentType: PROTOBUF })).status;
  };
  await reloadWith({});
  assert.equal(await rows(), 100);
  assert.equal(await exportOf(20), 200);
  await reloadWith({ sqlMaxRows: 7, maxSpansPerRequest: 10 });
  assert.equal(await rows(), 7);
  assert.equal(await exportOf(20), 413);
  await reloadWith({});
  assert.equal(await exportOf(20), 200);
});
