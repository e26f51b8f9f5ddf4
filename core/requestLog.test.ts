import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggedUrl } from './requestLog.js';

test('the logged URL keeps the path and the query parameter names, not their values', () => {
  assert.equal(loggedUrl('/api/v1/services'), '/api/v1/services');
  assert.equal(loggedUrl('/api/v1/traces?service=checkout&tags=%7B%22user%22%3A%22ann%22%7D&tags=x&limit=20'), '/api/v1/traces?service&tags&limit');
  assert.equal(loggedUrl('/api/traces/abc?'), '/api/traces/abc');
});

test('the logged URL is bounded', () => {
  const logged = loggedUrl(`/${'a'.repeat(5000)}?${'b'.repeat(5000)}=1`);
  assert.ok(logged.length <= 1001, String(logged.length));
  assert.ok(logged.endsWith('…'));
});
