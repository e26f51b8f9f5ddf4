import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostnameOf, hostPatternProblem, hostPolicy, isHostAllowed, isLoopbackAddress } from './hostPolicy.js';

test('by default: localhost, IP addresses, the bind address and the machine name; not a rebinding domain', () => {
  const policy = hostPolicy('', ['0.0.0.0', 'build-box']);
  for (const host of ['localhost:16686', 'LOCALHOST', 'app.localhost:16686', '127.0.0.1:16686', '[::1]:16686', '10.1.2.3', 'build-box:16686', 'build-box.']) {
    assert.equal(isHostAllowed(host, policy), true, host);
  }
  for (const host of ['evil.example', 'evil.example:16686', '127.0.0.1.nip.io', 'localhost.evil.example', 'build-box.evil.example', '', 'a b', '[evil]:1']) {
    assert.equal(isHostAllowed(host, policy), false, host);
  }
  assert.equal(isHostAllowed(undefined, policy), true);
});

test('configured names, .domain suffixes, and * for any', () => {
  const policy = hostPolicy('traces.example.com, .corp.example, Grafana-Proxy', []);
  for (const host of ['traces.example.com', 'TRACES.example.com:443', 'corp.example', 'a.b.corp.example:8080', 'grafana-proxy']) {
    assert.equal(isHostAllowed(host, policy), true, host);
  }
  for (const host of ['example.com', 'xcorp.example', 'traces.example.com.evil.example']) {
    assert.equal(isHostAllowed(host, policy), false, host);
  }
  assert.equal(isHostAllowed('anything.example', hostPolicy('*', [])), true);
});

test('Host headers are parsed with their port and IPv6 brackets', () => {
  assert.equal(hostnameOf('Example.COM.:80'), 'example.com');
  assert.equal(hostnameOf('[::1]:16686'), '::1');
  assert.equal(hostnameOf('::1'), null);
  assert.equal(hostnameOf('a:b:c'), null);
});

test('allowedHosts entries are checked', () => {
  assert.equal(hostPatternProblem('traces.example.com'), null);
  assert.equal(hostPatternProblem('.example.com'), null);
  assert.equal(hostPatternProblem('*'), null);
  assert.equal(hostPatternProblem('10.0.0.1'), null);
  assert.match(hostPatternProblem('http://traces.example.com')!, /is not a host name/);
  assert.match(hostPatternProblem('*.example.com')!, /is not a host name/);
});

test('loopback bind addresses', () => {
  assert.deepEqual(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '0.0.0.0', '::', '10.0.0.5'].map(isLoopbackAddress), [true, true, true, true, false, false, false]);
});
