import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { changedSettings, ConfigError, describeSettings, envName, loadConfig, settingsInForce } from './config.js';

const file = (name: string, text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'ducktrace-config-')), name);
  writeFileSync(path, text);
  return path;
};

test('defaults serve a laptop', () => {
  const config = loadConfig({});
  assert.equal(config.dataDir, './data');
  assert.equal(config.host, '127.0.0.1');
  assert.deepEqual([config.otlpHttpPort, config.otlpGrpcPort, config.httpPort], [4318, 4317, 16686]);
  assert.equal(config.maxBodyBytes, 64 * 1024 * 1024);
});

test('environment overrides the file, which overrides the defaults', () => {
  const path = file('c.yaml', 'httpPort: 9000\notlpHttpPort: 9001\nmaxAttributes: 10\n');
  const config = loadConfig({ DUCKTRACE_CONFIG: path, DUCKTRACE_HTTP_PORT: '0' });
  assert.equal(config.httpPort, 0);
  assert.equal(config.otlpHttpPort, 9001);
  assert.equal(config.maxAttributes, 10);
  assert.equal(loadConfig({ DUCKTRACE_CONFIG: file('c.json', '{"host": "0.0.0.0"}') }).host, '0.0.0.0');
});

test('bad values and unknown keys are refused with the key and value named', () => {
  assert.throws(() => loadConfig({ DUCKTRACE_OTLP_HTTP_PORT: 'abc' }), { message: /DUCKTRACE_OTLP_HTTP_PORT="abc": expected a whole number from 0 to 65535/ });
  assert.throws(() => loadConfig({ DUCKTRACE_HTTP_PORT: '70000' }), ConfigError);
  assert.throws(() => loadConfig({ DUCKTRACE_CONFIG: file('c.yaml', 'httpPrt: 1\n') }), { message: /unknown setting "httpPrt"/ });
  assert.throws(() => loadConfig({ DUCKTRACE_CONFIG: file('c.yaml', 'maxBodyBytes: lots\n') }), { message: /maxBodyBytes="lots"/ });
  assert.throws(() => loadConfig({ DUCKTRACE_CONFIG: file('c.yaml', '- a list\n') }), { message: /must hold a mapping/ });
  assert.throws(() => loadConfig({ DUCKTRACE_CONFIG: '/nonexistent/ducktrace.yaml' }), { message: /cannot read config file/ });
});

test('every setting has a DUCKTRACE_ variable', () => {
  assert.equal(envName('otlpGrpcPort'), 'DUCKTRACE_OTLP_GRPC_PORT');
  assert.equal(envName('dataDir'), 'DUCKTRACE_DATA_DIR');
});

test('true/false settings, and the sampling section passed through for the collector to validate', () => {
  assert.equal(loadConfig({}).walEnabled, true);
  assert.equal(loadConfig({ DUCKTRACE_WAL_ENABLED: 'false' }).walEnabled, false);
  assert.throws(() => loadConfig({ DUCKTRACE_WAL_ENABLED: 'maybe' }), { message: /DUCKTRACE_WAL_ENABLED="maybe": expected true or false/ });
  const config = loadConfig({ DUCKTRACE_CONFIG: file('s.yaml', 'walEnabled: false\nsampling:\n  head: { ratio: 0.5 }\n') });
  assert.equal(config.walEnabled, false);
  assert.deepEqual(config.sampling, { head: { ratio: 0.5 } });
  assert.equal(loadConfig({}).sampling, undefined);
});

test('a reload sorts changed settings by when they take effect, as the settings table says', () => {
  const running = loadConfig({});
  const next = loadConfig({ DUCKTRACE_MAX_SEARCH_LIMIT: '10', DUCKTRACE_HTTP_PORT: '9999', DUCKTRACE_SQL_MAX_ROWS: '5' });
  assert.deepEqual(changedSettings(running, next), { live: ['maxSearchLimit', 'sqlMaxRows'], restart: ['httpPort'] });
  assert.deepEqual(changedSettings(running, loadConfig({})), { live: [], restart: [] });
});

test('the settings in force show tokens only as set', () => {
  const shown = settingsInForce(loadConfig({ DUCKTRACE_READ_TOKENS: 'a-read-token-0123456789' }));
  assert.equal(shown.readTokens, '(set)');
  assert.equal(shown.writeTokens, '');
  assert.equal(shown.maxSearchLimit, 1000);
  assert.ok(!JSON.stringify(shown).includes('a-read-token'));
});

test('docs/configuration.md lists every setting with when it applies, as the settings table says', () => {
  const page = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const documented = new Map([...page.matchAll(/^\| `(DUCKTRACE_\w+)` \| `(\w+)` \| [^|]* \| (live|restart) \|/gm)].map((m) => [m[2]!, { env: m[1]!, applies: m[3]! }]));
  for (const setting of describeSettings()) {
    assert.deepEqual(documented.get(setting.key), { env: setting.env, applies: setting.applies }, `${setting.key} in docs/configuration.md`);
  }
});
