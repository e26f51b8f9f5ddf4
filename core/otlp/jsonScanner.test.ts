/**
 * Large OTLP/JSON bodies are scanned and parsed piece by piece: that must decode every body exactly as
 * parsing it whole does, refuse what JSON.parse refuses, and bound what one piece may cost.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeHandBuiltSpan, makeSdkSpans } from '../../test/fixtures/sdkSpans.js';
import { jsonRequestSteps } from './decodeJson.js';
import { MAX_NUMBER_CHARS } from './jsonScanner.js';
import { DEFAULT_SPAN_LIMITS, MalformedRequestError, RequestTooLargeError, type SpanLimits } from './limits.js';
import { runToEnd } from './slices.js';

const whole = (body: string | Buffer, limits: SpanLimits = DEFAULT_SPAN_LIMITS) => runToEnd((pauser) => jsonRequestSteps(Buffer.from(body), limits, pauser, Infinity));
const inPieces = (body: string | Buffer, limits: SpanLimits = DEFAULT_SPAN_LIMITS) => runToEnd((pauser) => jsonRequestSteps(Buffer.from(body), limits, pauser, 0));

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const span = (spanId: string, extra = '') => `{"traceId":"${TRACE}","spanId":"${spanId}","name":"op"${extra}}`;
const spans = (n: number, extra = '') => Array.from({ length: n }, (_, i) => span((i + 1).toString(16).padStart(16, '0'), extra)).join(',');

test('SDK spans decode to the same rows piece by piece as whole', async () => {
  const body = Buffer.from(JsonTraceSerializer.serializeRequest([...(await makeSdkSpans()), makeHandBuiltSpan()])!);
  const expected = whole(body);
  assert.equal(expected.spans.length, 6);
  assert.deepEqual(inPieces(body), expected);
});

test('every form of the request decodes the same either way', () => {
  const documents = [
    '{}',
    ' \n{ "resourceSpans" : [ ] } \t',
    '{"resourceSpans":null}',
    '{"resourceSpans":[{"scopeSpans":null},{"scopeSpans":[{"spans":null}]}]}',
    // The resource after its spans, schema urls, unknown fields at every level, escapes, non-ASCII text.
    `{"future":[{"a":[1,2,{"b":null}]}],"resourceSpans":[{"scopeSpans":[{"scope":{"name":"lib","version":"1","x":{}},"spans":[${span('00f067aa0ba902b7', ',"attributes":[{"key":"k\\u00e9\\n","value":{"stringValue":"v\\"\\\\\\/ é 😀"}}],"unknown":{"deep":[[[]]]}')}],"schemaUrl":"s"}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},"schemaUrl":"r","other":true}]}`,
    // A later key replaces an earlier one, as JSON.parse does; an escaped key is the key it spells.
    `{"resourceSpans":[{"scopeSpans":[{"spans":[${spans(2)}]}],"scopeSpans":[{"spans":[${spans(1)}]}]}]}`,
    `{"resourceSpans":[{"sc\\u006fpeSpans":[{"sp\\u0061ns":[${spans(3)}]}]}]}`,
    `{"resourceSpans":[{"resource":null,"scopeSpans":[{"scope":null,"schemaUrl":null,"spans":[${spans(1)}]}]}]}`,
    // A string ending in an escaped backslash, or holding escaped quotes, in a piece and above the pieces.
    `{"x\\\\":"\\\\","resourceSpans":[{"scopeSpans":[{"spans":[${span('00f067aa0ba902b7', ',"name":"a\\\\\\\\","traceState":"\\"q\\"\\\\"')}]}]}]}`,
    // Invalid spans are rejected the same way.
    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"},${spans(1, ',"kind":"SPAN_KIND_SERVER","startTimeUnixNano":"5","endTimeUnixNano":7')}]}]}]}`,
    `{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{}},{"key":"a","value":{}}]},"scopeSpans":[{"spans":[${spans(2)}]}]}]}`,
  ];
  for (const document of documents) {
    JSON.parse(document);
    assert.deepEqual(inPieces(document), whole(document), document);
  }
});

test('what JSON.parse refuses, the scanner refuses', () => {
  const bad = [
    '{',
    '}',
    '{"resourceSpans":[}',
    '{"resourceSpans":[],}',
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{},]}]}]}',
    '{"a":01}',
    '{"a":1.}',
    '{"a":-}',
    '{"a":1e}',
    '{"a":.5}',
    '{"a":"\u0001"}',
    '{"a":"\\q"}',
    '{"a":"\\u12g4"}',
    '{"a":"open',
    '{"a":tru}',
    '{"a":nul}',
    '{"a":1} x',
    '{"a":1}{}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '{"a":[1 2]}',
    '{"a":{"b":1]}',
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"]}]}]}',
    '',
  ];
  for (const document of bad) {
    assert.throws(() => JSON.parse(document), SyntaxError, document);
    if (document !== '') assert.throws(() => inPieces(document), MalformedRequestError, document);
  }
});

test('structure that is not an ExportTraceServiceRequest fails the request either way', () => {
  for (const document of ['5', '[]', '"x"', 'null', '{"resourceSpans":5}', '{"resourceSpans":[5]}', '{"resourceSpans":[null]}', '{"resourceSpans":[{"scopeSpans":{}}]}', '{"resourceSpans":[{"scopeSpans":[7]}]}', '{"resourceSpans":[{"scopeSpans":[{"spans":"x"}]}]}', '{"resourceSpans":[{"scopeSpans":[{"spans":[5]}]}]}', '{"resourceSpans":[{"resource":5}]}', '{"resourceSpans":[{"schemaUrl":5}]}']) {
    assert.throws(() => whole(document), MalformedRequestError, document);
    assert.throws(() => inPieces(document), MalformedRequestError, document);
  }
});

test(`a number token longer than ${MAX_NUMBER_CHARS} characters fails the request before it is parsed`, () => {
  const number = '7'.repeat(MAX_NUMBER_CHARS + 1);
  assert.throws(() => inPieces(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span('00f067aa0ba902b7', `,"startTimeUnixNano":${number}`)}]}]}]}`), {
    name: 'Error',
    message: /a number is longer than 64 characters at byte \d+/,
  });
  assert.throws(() => inPieces(`{"unknown":-0.${number}}`), /a number is longer than 64 characters/);
  const longest = `1${'0'.repeat(MAX_NUMBER_CHARS - 5)}e-59`;
  assert.equal(longest.length, MAX_NUMBER_CHARS);
  assert.deepEqual(inPieces(`{"unknown":${longest}}`), whole(`{"unknown":${longest}}`));
});

test('an integer written as a long digit string fails the request before BigInt reads it', () => {
  const document = `{"resourceSpans":[{"scopeSpans":[{"spans":[${span('00f067aa0ba902b7', `,"startTimeUnixNano":"${'7'.repeat(100_000)}"`)}]}]}]}`;
  for (const decode of [whole, inPieces]) assert.throws(() => decode(document), /span.startTimeUnixNano is longer than 64 characters/);
});

test('spans past maxSpansPerRequest refuse the request before any span is decoded', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxSpansPerRequest: 10 };
  // The first span is malformed (a fractional kind): decoding it would fail the request as undecodable.
  const document = `{"resourceSpans":[{"scopeSpans":[{"spans":[${span('00f067aa0ba902b7', ',"kind":1.5')},${spans(10)}]}]}]}`;
  for (const decode of [whole, inPieces]) assert.throws(() => decode(document, limits), { constructor: RequestTooLargeError, message: 'the request holds more than 10 spans' });
  assert.equal(whole(`{"resourceSpans":[{"scopeSpans":[{"spans":[${spans(10)}]}]}]}`, limits).spans.length, 10);
  const scopes = `{"resourceSpans":[{"scopeSpans":[${Array(11).fill('{}').join(',')}]}]}`;
  for (const decode of [whole, inPieces]) assert.throws(() => decode(scopes, limits), { message: 'the request holds more than 10 scopeSpans' });
  // The scan stops at the 11th span: a syntax error after it is never reached.
  assert.throws(() => inPieces(`{"resourceSpans":[{"scopeSpans":[{"spans":[${spans(11)}, oops`, limits), RequestTooLargeError);
});

test('a piece holding more entries than any limit lets a span keep, or nested too deep, is rejected unparsed', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxAttributes: 4, maxEventsPerSpan: 4, maxLinksPerSpan: 4, maxAttributeValueLength: 30, maxValueDepth: 2 };
  const array = (n: number) => `{"arrayValue":{"values":[${Array(n).fill('{}').join(',')}]}}`;
  let deep = '{"stringValue":"leaf"}';
  for (let i = 0; i < 40; i++) deep = `{"arrayValue":{"values":[${deep}]}}`;
  const document = `{"resourceSpans":[{"scopeSpans":[{"spans":[${[
    span('0000000000000001', `,"attributes":[{"key":"a","value":${array(9)}}]`),
    span('0000000000000002', `,"attributes":[{"key":"a","value":${array(10)}}]`),
    span('0000000000000003', `,"future":[${Array(20).fill(0).join(',')}]`),
    span('0000000000000004', `,"attributes":[{"key":"d","value":${deep}}]`),
  ].join(',')}]}]}]}`;
  const result = inPieces(document, limits);
  assert.deepEqual(result.spans.map((s) => s.spanId), ['0000000000000001']);
  assert.equal(result.rejectedSpans, 3);
  assert.deepEqual(result.rejectionReasons, [
    'a span, or its resource or scope, holds more than 9 entries in one JSON array or object',
    'attribute value nests arrays or kvlists deeper than 2 levels',
  ]);
  // Parsed whole, the same spans are rejected by the decoder's own limits.
  assert.deepEqual(whole(document, limits).spans.map((s) => s.spanId), ['0000000000000001', '0000000000000003']);
  const flawedResource = `{"resourceSpans":[{"resource":{"attributes":[${Array(12).fill('{"key":"k","value":{}}').join(',')}]},"scopeSpans":[{"spans":[${spans(2)}]}]}]}`;
  assert.deepEqual(inPieces(flawedResource, limits).rejectedSpans, 2);
});

test('scanning and decoding offer to pause all through a large body, even one of a single long string', () => {
  const stepsOf = (document: string): number => {
    const steps = jsonRequestSteps(Buffer.from(document), DEFAULT_SPAN_LIMITS, { due: () => true }, 0);
    let n = 0;
    while (!steps.next().done) n++;
    return n;
  };
  assert.ok(stepsOf(`{"resourceSpans":[{"scopeSpans":[{"spans":[${spans(50)}]}]}]}`) >= 50, 'a pause after each span');
  assert.ok(stepsOf(`{"unknown":"${'x'.repeat(4 * 1024 * 1024)}"}`) >= 8, 'pauses within the string');
});
