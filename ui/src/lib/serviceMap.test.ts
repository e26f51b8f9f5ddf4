import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DependencyEdge } from '../api.js';
import { edgeHealth, edgeLabel, edgeStroke, mapNodes, MAX_STROKE, MIN_STROKE, textWidth } from './serviceMap.js';

const edge = (caller: string, callee: string, more: Partial<DependencyEdge> = {}): DependencyEdge => ({
  caller,
  callee,
  calleeIsPeer: false,
  callCount: 10,
  errorRate: 0,
  p50Ns: '3100000',
  p99Ns: '1200000000',
  ...more,
});

test('nodes: every name once, peers are the callees known only from client spans', () => {
  const nodes = mapNodes([
    edge('frontend', 'cart'),
    edge('cart', 'redis', { calleeIsPeer: true }),
    edge('frontend', 'redis', { calleeIsPeer: true }),
    edge('payment', 'card-gateway', { calleeIsPeer: true }),
    // Instrumented once, then called as a peer elsewhere: a service, since it has spans of its own.
    edge('cart', 'payment', { calleeIsPeer: true }),
    edge('checkout', 'payment'),
  ]);
  assert.deepEqual(nodes, [
    { id: 'card-gateway', isPeer: true },
    { id: 'cart', isPeer: false },
    { id: 'checkout', isPeer: false },
    { id: 'frontend', isPeer: false },
    { id: 'payment', isPeer: false },
    { id: 'redis', isPeer: true },
  ]);
  assert.deepEqual(mapNodes([]), []);
});

test('edge labels give calls, errors when there are any, and p50 / p99', () => {
  assert.deepEqual(edgeLabel(edge('a', 'b', { callCount: 1234, errorRate: 0.049 })), ['1,234 calls · 4.90% err', 'p50 3.10ms · p99 1.20s']);
  assert.deepEqual(edgeLabel(edge('a', 'b', { callCount: 1 })), ['1 call', 'p50 3.10ms · p99 1.20s']);
  assert.deepEqual(edgeLabel(edge('a', 'b', { callCount: 12.5 })), ['12.5 calls', 'p50 3.10ms · p99 1.20s']);
});

test('edge health: failing from 5% errors, a warning from 1%', () => {
  assert.equal(edgeHealth(0), 'ok');
  assert.equal(edgeHealth(0.0099), 'ok');
  assert.equal(edgeHealth(0.01), 'warning');
  assert.equal(edgeHealth(0.05), 'failing');
  assert.equal(edgeHealth(1), 'failing');
});

test('edge strokes grow with the calls, between a visible minimum and a maximum', () => {
  assert.equal(edgeStroke(1, 1000), MIN_STROKE);
  assert.equal(edgeStroke(1000, 1000), MAX_STROKE);
  assert.equal(edgeStroke(5, 5), MAX_STROKE);
  assert.equal(edgeStroke(3, 1), MIN_STROKE);
  const widths = [2, 10, 100, 500].map((n) => edgeStroke(n, 1000));
  assert.deepEqual([...widths].sort((a, b) => a - b), widths);
  assert.ok(widths.every((w) => w > MIN_STROKE && w < MAX_STROKE));
});

test('text width estimates grow with the text and the font', () => {
  assert.equal(textWidth('', 12), 0);
  assert.ok(textWidth('inventory', 13) > textWidth('cart', 13));
  assert.ok(textWidth('cart', 26) >= 2 * textWidth('cart', 13) - 1);
  assert.ok(textWidth('WWW', 10) > textWidth('iii', 10));
});
