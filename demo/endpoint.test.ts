import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoEndpoint } from './endpoint.js';

test('the flag wins, then the OTLP endpoint variable, then the server settings the demo shares with ducktrace', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', DUCKTRACE_HOST: '127.0.0.2', DUCKTRACE_OTLP_HTTP_PORT: '14318' };
  assert.equal(demoEndpoint('http://flag:1', env), 'http://flag:1');
  assert.equal(demoEndpoint(undefined, env), 'http://collector:4318');
  assert.equal(demoEndpoint(undefined, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: '' }), 'http://127.0.0.2:14318');
  assert.equal(demoEndpoint(undefined, { DUCKTRACE_OTLP_HTTP_PORT: '14318' }), 'http://localhost:14318');
  assert.equal(demoEndpoint(undefined, {}), 'http://localhost:4318');
});

test('wildcard and IPv6 bind addresses become addresses to connect to', () => {
  assert.equal(demoEndpoint(undefined, { DUCKTRACE_HOST: '0.0.0.0' }), 'http://127.0.0.1:4318');
  assert.equal(demoEndpoint(undefined, { DUCKTRACE_HOST: '::' }), 'http://[::1]:4318');
  assert.equal(demoEndpoint(undefined, { DUCKTRACE_HOST: '::1', DUCKTRACE_OTLP_HTTP_PORT: '9' }), 'http://[::1]:9');
});
