/** The security settings as loadConfig and the tokens files check them. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config.js';
import { loadTokenSet } from './accessTokens.js';

const TOKEN = 'write-token-0123456789';

const file = (text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'ducktrace-tokens-')), 'tokens');
  writeFileSync(path, text);
  return path;
};

test('tokens, TLS files, origins and hosts are refused with the setting named', () => {
  assert.equal(loadConfig({ DUCKTRACE_WRITE_TOKENS: `${TOKEN},other-token-0123456789` }).writeTokens, `${TOKEN},other-token-0123456789`);
  assert.throws(() => loadConfig({ DUCKTRACE_READ_TOKENS: `${TOKEN},short` }), { message: /DUCKTRACE_READ_TOKENS: token 2: a token must be at least 16 characters/ });
  assert.throws(() => loadConfig({ DUCKTRACE_TLS_CERT_FILE: '/etc/cert.pem' }), { message: /DUCKTRACE_TLS_CERT_FILE and DUCKTRACE_TLS_KEY_FILE go together/ });
  assert.equal(loadConfig({ DUCKTRACE_CORS_ORIGINS: 'https://grafana.example.com, http://localhost:3000' }).corsOrigins, 'https://grafana.example.com, http://localhost:3000');
  for (const origin of ['https://grafana.example.com/', 'grafana.example.com', 'ftp://x.example', '*']) {
    assert.throws(() => loadConfig({ DUCKTRACE_CORS_ORIGINS: origin }), { message: /DUCKTRACE_CORS_ORIGINS: ".*" is not an origin/ }, origin);
  }
  assert.throws(() => loadConfig({ DUCKTRACE_ALLOWED_HOSTS: 'ok.example, https://bad.example' }), { message: /DUCKTRACE_ALLOWED_HOSTS: "https:\/\/bad.example" is not a host name/ });
  assert.equal(loadConfig({}).maxConnections, 256);
  assert.throws(() => loadConfig({ DUCKTRACE_MAX_CONNECTIONS: '0' }), ConfigError);
});

test('a tokens file: one a line, comments skipped; an empty or unreadable file or a bad token stops the load', () => {
  const set = loadTokenSet('inline-token-0123456789', file(`# ci\n${TOKEN}\n`), 'write');
  assert.equal(set.size, 2);
  assert.equal(set.accepts(TOKEN), true);
  assert.equal(set.accepts('inline-token-0123456789'), true);
  assert.throws(() => loadTokenSet('', file('# nothing yet\n'), 'read'), { message: /readTokensFile: .* holds no token/ });
  assert.throws(() => loadTokenSet('', file(`${TOKEN}\nshort\n`), 'write'), { message: /writeTokensFile: .*: token 2: a token must be at least 16/ });
  assert.throws(() => loadTokenSet('', '/nonexistent/tokens', 'write'), { message: /writeTokensFile: cannot read \/nonexistent\/tokens/ });
});
