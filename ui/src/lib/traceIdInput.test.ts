import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTraceIdInput } from './traceIdInput.js';

const ok = (traceId: string) => ({ ok: true, traceId });

test('32 hex digits in any case, with spaces around, open that trace', () => {
  assert.deepEqual(parseTraceIdInput('  4BF92F3577B34DA6A3CE929D0E0E4736\n'), ok('4bf92f3577b34da6a3ce929d0e0e4736'));
});

test('shorter ids are left-padded with zeros, as Jaeger pads 64-bit ids', () => {
  assert.deepEqual(parseTraceIdInput('a3ce929d0e0e4736'), ok('0000000000000000a3ce929d0e0e4736'));
  assert.deepEqual(parseTraceIdInput('0x1f'), ok('0000000000000000000000000000001f'));
});

test('a pasted trace link or traceparent gives its trace id', () => {
  assert.deepEqual(parseTraceIdInput('http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba902b7'), ok('4bf92f3577b34da6a3ce929d0e0e4736'));
  assert.deepEqual(parseTraceIdInput('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), ok('4bf92f3577b34da6a3ce929d0e0e4736'));
});

test('anything else says what is wrong', () => {
  const message = (text: string): string => {
    const result = parseTraceIdInput(text);
    assert.equal(result.ok, false, text);
    return (result as { message: string }).message;
  };
  assert.match(message(''), /Paste a trace id/);
  assert.match(message('   '), /Paste a trace id/);
  assert.match(message('checkout failed'), /hex digits only/);
  assert.match(message('4bf92f3577b34da6a3ce929d0e0e4736ff'), /at most 32 hex digits; this has 34/);
  assert.match(message('0000'), /all zeros/);
  assert.match(message('x'.repeat(10_000)), /far too long/);
  assert.ok(message(`g${'a'.repeat(100)}`).length < 120, 'long input is shortened in the message');
});
