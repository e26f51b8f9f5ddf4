import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attributes, SpanRow } from '../../core/model/span.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { buildCallTree } from '../services/callTree.js';
import { envelope, errorEnvelope, plainJson, toJaegerTag, toJaegerTrace } from './model.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const ROOT = 'a1a1a1a1a1a1a1a1';
const CHILD = 'b2b2b2b2b2b2b2b2';
const THIRD = 'c3c3c3c3c3c3c3c3';
const T0 = 1_700_000_000_000_001_500n;

/** [key, type letter, stored text] triples. */
function attrs(...entries: Array<[string, string, string]>): Attributes {
  return { keys: entries.map((e) => e[0]), values: entries.map((e) => e[2]), types: entries.map((e) => e[1]).join('') };
}

const checkoutResource = attrs(['service.name', 's', 'checkout'], ['host.name', 's', 'h1'], ['host.cpu.count', 'i', '8']);

function rows(): SpanRow[] {
  return [
    spanRow({
      traceId: TRACE,
      spanId: ROOT,
      serviceName: 'checkout',
      name: 'POST /checkout',
      kind: 2,
      startTimeUnixNano: T0,
      durationNs: 10_000_999n,
      statusCode: 2,
      statusMessage: 'payment failed',
      traceState: 'vendor=x',
      flags: 0x301,
      scopeName: 'shop',
      scopeVersion: '1.2.0',
      resourceAttributes: checkoutResource,
      attributes: attrs(
        ['http.status_code', 'i', '500'],
        ['ratio', 'd', '0.25'],
        ['ok', 'b', 'true'],
        ['big', 'i', '9007199254740993'],
        ['raw', 'y', 'AAH/'],
        ['list', 'a', '[{"stringValue":"a"},{"intValue":"12345678901234567890"},{"arrayValue":{"values":[{"boolValue":false}]}}]'],
        ['map', 'k', '[{"key":"z","value":{"boolValue":true}},{"key":"a","value":{"doubleValue":1.5}}]'],
        ['nan', 'd', 'NaN'],
        ['nothing', 'n', ''],
      ),
      events: [
        { timeUnixNano: T0 + 2_000n, name: 'exception', attributes: attrs(['exception.message', 's', 'declined']), droppedAttributesCount: 0 },
        { timeUnixNano: T0 + 3_999n, name: 'named', attributes: attrs(['event', 's', 'custom'], ['n', 'i', '2']), droppedAttributesCount: 0 },
      ],
    }),
    // Another service, 5 µs before its parent: the adjuster centres it inside the parent.
    spanRow({
      traceId: TRACE,
      spanId: CHILD,
      parentSpanId: ROOT,
      serviceName: 'payments',
      name: 'charge',
      kind: 3,
      startTimeUnixNano: T0 - 5_000n,
      durationNs: 1_000n,
      statusCode: 1,
      scopeName: '',
      flags: 0,
      links: [
        { traceId: OTHER_TRACE, spanId: 'd4d4d4d4d4d4d4d4', traceState: '', flags: 1, attributes: attrs(), droppedAttributesCount: 0 },
        { traceId: OTHER_TRACE, spanId: 'e5e5e5e5e5e5e5e5', traceState: '', flags: 1, attributes: attrs(['opentracing.ref_type', 's', 'child_of']), droppedAttributesCount: 0 },
      ],
    }),
    spanRow({
      traceId: TRACE,
      spanId: THIRD,
      parentSpanId: ROOT,
      serviceName: 'checkout',
      name: 'validate',
      kind: 0,
      startTimeUnixNano: T0 + 9_000_000n,
      durationNs: 500_000n,
      resourceAttributes: checkoutResource,
      scopeName: 'shop',
      scopeVersion: '',
    }),
  ];
}

const ROOT_US = 1_700_000_000_000_001;

const EXPECTED_ROOT = {
  traceID: TRACE,
  spanID: ROOT,
  operationName: 'POST /checkout',
  references: [],
  startTime: ROOT_US,
  duration: 10_000,
  tags: [
    { key: 'otel.scope.name', type: 'string', value: 'shop' },
    { key: 'otel.scope.version', type: 'string', value: '1.2.0' },
    { key: 'http.status_code', type: 'int64', value: 500 },
    { key: 'ratio', type: 'float64', value: 0.25 },
    { key: 'ok', type: 'bool', value: true },
    { key: 'big', type: 'int64', value: '9007199254740993' },
    { key: 'raw', type: 'binary', value: 'AAH/' },
    { key: 'list', type: 'string', value: '["a",12345678901234567890,[false]]' },
    { key: 'map', type: 'string', value: '{"a":1.5,"z":true}' },
    { key: 'nan', type: 'float64', value: 'NaN' },
    { key: 'nothing', type: 'string', value: '' },
    { key: 'span.kind', type: 'string', value: 'server' },
    { key: 'otel.status_code', type: 'string', value: 'ERROR' },
    { key: 'error', type: 'bool', value: true },
    { key: 'otel.status_description', type: 'string', value: 'payment failed' },
    { key: 'w3c.tracestate', type: 'string', value: 'vendor=x' },
  ],
  logs: [
    {
      timestamp: ROOT_US + 2,
      fields: [
        { key: 'event', type: 'string', value: 'exception' },
        { key: 'exception.message', type: 'string', value: 'declined' },
      ],
    },
    {
      timestamp: ROOT_US + 4, // T0 + 3_999 ns = ...005_499 ns
      fields: [
        { key: 'event', type: 'string', value: 'custom' },
        { key: 'n', type: 'int64', value: 2 },
      ],
    },
  ],
  processID: 'p1',
  warnings: null,
  flags: 1,
};

const EXPECTED_THIRD = {
  traceID: TRACE,
  spanID: THIRD,
  operationName: 'validate',
  references: [{ refType: 'CHILD_OF', traceID: TRACE, spanID: ROOT }],
  startTime: ROOT_US + 9_000,
  duration: 500,
  tags: [{ key: 'otel.scope.name', type: 'string', value: 'shop' }],
  logs: [],
  processID: 'p1',
  warnings: null,
  flags: 1,
};

function expectedChild(startTime: number, warnings: string[] | null) {
  return {
    traceID: TRACE,
    spanID: CHILD,
    operationName: 'charge',
    references: [
      { refType: 'CHILD_OF', traceID: TRACE, spanID: ROOT },
      { refType: 'FOLLOWS_FROM', traceID: OTHER_TRACE, spanID: 'd4d4d4d4d4d4d4d4' },
      { refType: 'CHILD_OF', traceID: OTHER_TRACE, spanID: 'e5e5e5e5e5e5e5e5' },
    ],
    startTime,
    duration: 1,
    tags: [
      { key: 'span.kind', type: 'string', value: 'client' },
      { key: 'otel.status_code', type: 'string', value: 'OK' },
    ],
    logs: [],
    processID: 'p2',
    warnings,
    flags: 0,
  };
}

const EXPECTED_PROCESSES = {
  p1: {
    serviceName: 'checkout',
    tags: [
      { key: 'host.name', type: 'string', value: 'h1' },
      { key: 'host.cpu.count', type: 'int64', value: 8 },
    ],
  },
  p2: { serviceName: 'payments', tags: [] },
};

test('a known trace becomes exactly the Jaeger JSON, adjusted: the skewed span moved and warned', () => {
  const trace = toJaegerTrace(buildCallTree(TRACE, rows(), { adjust: true }));
  // Centred in the parent: T0 + (10_000_999 - 1_000) / 2 = T0 + 4_999_999 ns, a shift of +5_004_999 ns.
  const childStart = Number((T0 + 4_999_999n) / 1000n);
  assert.deepEqual(trace, {
    traceID: TRACE,
    spans: [EXPECTED_ROOT, expectedChild(childStart, ['clock skew: shifted by +5.005ms to fit inside its parent on service "checkout"']), EXPECTED_THIRD],
    processes: EXPECTED_PROCESSES,
    warnings: null,
  });
});

test('raw: the stored start time and no warnings', () => {
  const trace = toJaegerTrace(buildCallTree(TRACE, rows(), { adjust: false }));
  assert.deepEqual(trace.spans[1], expectedChild(ROOT_US - 5, null));
  assert.deepEqual(trace.spans[0], EXPECTED_ROOT);
});

test('the same service with other resource attributes is another process', () => {
  const [root, , third] = rows();
  third!.resourceAttributes = attrs(['service.name', 's', 'checkout'], ['host.name', 's', 'h2']);
  const trace = toJaegerTrace(buildCallTree(TRACE, [root!, third!]));
  assert.deepEqual(trace.spans.map((s) => s.processID), ['p1', 'p2']);
  assert.deepEqual(trace.processes.p2, { serviceName: 'checkout', tags: [{ key: 'host.name', type: 'string', value: 'h2' }] });
});

test('microseconds truncate toward zero, as Go does, for negative durations too', () => {
  const [root] = rows();
  root!.durationNs = -1_999n;
  const span = toJaegerTrace(buildCallTree(TRACE, [root!], { adjust: false })).spans[0]!;
  assert.equal(span.duration, -1);
});

test('tags and nested values', () => {
  assert.deepEqual(toJaegerTag({ key: 'd', type: 'double', value: 3 }), { key: 'd', type: 'float64', value: 3 });
  assert.deepEqual(toJaegerTag({ key: 'e', type: 'empty', value: null }), { key: 'e', type: 'string', value: '' });
  assert.equal(
    plainJson({ type: 'kvlist', value: [{ key: 'b', type: 'bytes', value: 'AQ==' }, { key: 'a', type: 'array', value: [{ type: 'empty', value: null }, { type: 'string', value: 'q"' }] }] }),
    '{"a":[null,"q\\""],"b":"AQ=="}',
  );
});

test('envelopes', () => {
  assert.deepEqual(envelope(['a', 'b']), { data: ['a', 'b'], total: 2, limit: 0, offset: 0, errors: null });
  assert.deepEqual(envelope([], [{ code: 404, msg: 'trace not found', traceID: TRACE }]), {
    data: [],
    total: 0,
    limit: 0,
    offset: 0,
    errors: [{ code: 404, msg: 'trace not found', traceID: TRACE }],
  });
  assert.deepEqual(errorEnvelope(400, 'bad'), { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg: 'bad' }] });
});
