import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hex, message, request, span, type Field } from '../../test/fixtures/protobufWriter.js';
import { typedAttributes } from './anyValue.js';
import { decodeExportTraceRequestProtobuf } from './decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS, MalformedRequestError, RequestTooLargeError } from './limits.js';

const decode = (body: Buffer, limits = DEFAULT_SPAN_LIMITS) => decodeExportTraceRequestProtobuf(body, limits);
const attribute = (key: string, value: Field[]): Field => [9, [[1, key], [2, value]]];

test('an empty request decodes to no spans', () => {
  assert.deepEqual(decode(Buffer.alloc(0)), { spans: [], rejectedSpans: 0, rejectionReasons: [] });
});

test('int64 extremes and non-finite doubles keep their exact values', () => {
  const result = decode(
    request([
      span([
        attribute('min', [[3, -(2n ** 63n)]]),
        attribute('max', [[3, 2n ** 63n - 1n]]),
        attribute('nan', [[4, NaN, 'double']]),
        attribute('inf', [[4, -Infinity, 'double']]),
        attribute('negzero', [[4, -0, 'double']]),
      ]),
    ]),
  );
  assert.deepEqual(typedAttributes(result.spans[0]!.attributes), [
    { key: 'min', type: 'int', value: '-9223372036854775808' },
    { key: 'max', type: 'int', value: '9223372036854775807' },
    { key: 'nan', type: 'double', value: 'NaN' },
    { key: 'inf', type: 'double', value: '-Infinity' },
    { key: 'negzero', type: 'double', value: '-0' },
  ]);
});

test('the resource may follow its spans on the wire', () => {
  const body = message([[1, [[2, [[2, span()]]], [1, [[1, [[1, 'service.name'], [2, [[1, 'late']]]]]]]]]]);
  assert.equal(decode(body).spans[0]!.serviceName, 'late');
});

test('a span without service.name belongs to unknown_service', () => {
  const body = message([[1, [[2, [[2, span()]]]]]]);
  assert.equal(decode(body).spans[0]!.serviceName, 'unknown_service');
});

test('invalid ids reject only their span, with the reason', () => {
  const result = decode(
    request([
      span([], '00f067aa0ba902b7', 'abcd'),
      span([], '0000000000000000'),
      span([], '00f067aa0ba902b8', '00000000000000000000000000000000'),
      span([[4, hex('0102')]], '00f067aa0ba902b9'),
      span([], '00f067aa0ba902ba'),
    ]),
  );
  assert.equal(result.spans.length, 1);
  assert.equal(result.spans[0]!.spanId, '00f067aa0ba902ba');
  assert.equal(result.rejectedSpans, 4);
  assert.match(result.rejectionReasons.join('\n'), /trace id must be 16 bytes, got 2/);
  assert.match(result.rejectionReasons.join('\n'), /span id is all zeros/);
  assert.match(result.rejectionReasons.join('\n'), /trace id is all zeros/);
  assert.match(result.rejectionReasons.join('\n'), /parent id must be empty or 8 bytes/);
});

test('an all-zero parent id means a root span', () => {
  assert.equal(decode(request([span([[4, hex('0000000000000000')]])])).spans[0]!.parentSpanId, '');
});

test('limits reject the span that breaks them and keep the rest', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxAttributes: 2, maxAttributeValueLength: 30, maxValueDepth: 2 };
  let nested: Field[] = [[1, 'leaf']];
  for (let i = 0; i < 5; i++) nested = [[5, [[1, nested]]]];
  const result = decode(
    request([
      span([attribute('a', [[1, 'x']]), attribute('b', [[1, 'x']]), attribute('c', [[1, 'x']])], '0000000000000001'),
      span([attribute('long', [[1, 'x'.repeat(31)]])], '0000000000000002'),
      span([attribute('deep', nested)], '0000000000000003'),
      span([attribute('dup', [[1, 'x']]), attribute('dup', [[1, 'y']])], '0000000000000004'),
      span([attribute('ok', [[5, [[1, [[1, 'fine']]]]]])], '0000000000000005'),
    ]),
    limits,
  );
  assert.deepEqual(result.spans.map((s) => s.spanId), ['0000000000000005']);
  assert.equal(result.rejectedSpans, 4);
  const reasons = result.rejectionReasons.join('\n');
  assert.match(reasons, /more than 2 attributes/);
  assert.match(reasons, /longer than 30 characters/);
  assert.match(reasons, /deeper than 2 levels/);
  assert.match(reasons, /"dup" more than once/);
});

test('a resource over the limits rejects all of its spans', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxAttributeKeyLength: 5 };
  const body = message([[1, [[1, [[1, [[1, 'much.too.long'], [2, [[1, 'v']]]]]]], [2, [[2, span()], [2, span([], '00f067aa0ba902b8')]]]]]]);
  const result = decode(body, limits);
  assert.equal(result.spans.length, 0);
  assert.equal(result.rejectedSpans, 2);
  assert.match(result.rejectionReasons[0]!, /resource attribute key is longer than 5/);
});

test('bodies that are not protobuf fail the whole request', () => {
  const bad = [
    Buffer.from([0x0a, 0x05, 0x01]),
    Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    Buffer.from('{"resourceSpans": []}'),
    message([[1, [[2, [[2, [[1, 5n]]]]]]]]),
    Buffer.from([0x0b]),
  ];
  for (const body of bad) assert.throws(() => decode(body), MalformedRequestError, body.toString('hex'));
});

test('times beyond the storable range reject the span', () => {
  const result = decode(request([span([[7, 2n ** 64n - 1n, 'fixed64']])]));
  assert.equal(result.rejectedSpans, 1);
  assert.match(result.rejectionReasons[0]!, /year 2262/);
});

test('unknown fields are skipped', () => {
  const result = decode(request([span([[99, 'future'], [98, 5n], [97, 1, 'fixed32'], [96, 1n, 'fixed64']])]));
  assert.equal(result.spans.length, 1);
});

test('spans past maxSpansPerRequest refuse the request before any span is decoded', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxSpansPerRequest: 10 };
  const valid = Array.from({ length: 10 }, (_, i) => span([], (i + 1).toString(16).padStart(16, '0')));
  assert.equal(decode(request(valid), limits).spans.length, 10);
  // The first span is not protobuf: decoding it would fail the request as undecodable.
  const body = request([[[1, 5n]], ...valid]);
  assert.throws(() => decode(body), MalformedRequestError);
  assert.throws(() => decode(body, limits), { constructor: RequestTooLargeError, message: 'the request holds more than 10 spans' });
  // Spans in later resourceSpans and scopeSpans count too, and so do those containers themselves.
  const spread = message([[1, [[2, valid.slice(0, 6).map((s): Field => [2, s])]]], [1, [[2, [[2, span()]]], [2, valid.slice(0, 4).map((s): Field => [2, s])]]]]);
  assert.throws(() => decode(spread, limits), { message: 'the request holds more than 10 spans' });
  const scopes = message([[1, Array.from({ length: 11 }, (): Field => [2, []])]]);
  assert.throws(() => decode(scopes, limits), { message: 'the request holds more than 10 scopeSpans' });
  const resources = message(Array.from({ length: 11 }, (): Field => [1, []]));
  assert.throws(() => decode(resources, limits), { message: 'the request holds more than 10 resourceSpans' });
});

test('a million empty spans are refused at the limit; fewer are each rejected with the reason', () => {
  const empty = Buffer.alloc(2 * 1_000_000);
  for (let i = 0; i < 1_000_000; i++) empty[2 * i] = 0x12;
  const body = message([[1, [[2, empty]]]]);
  assert.throws(() => decode(body), { message: `the request holds more than ${DEFAULT_SPAN_LIMITS.maxSpansPerRequest} spans` });
  const result = decode(message([[1, [[2, empty.subarray(0, 2 * 1000)]]]]));
  assert.equal(result.rejectedSpans, 1000);
  assert.deepEqual(result.rejectionReasons, ['span trace id must be 16 bytes, got 0']);
});

test('an array or kvlist value of more entries than its text could hold is rejected before the rest is decoded', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxAttributeValueLength: 30 };
  const entries = (n: number, value: Field[]): Field[] => Array.from({ length: n }, (): Field => [1, value]);
  const result = decode(
    request([
      span([attribute('a', [[5, entries(9, [])]])], '0000000000000001'),
      span([attribute('a', [[5, entries(10, [])]])], '0000000000000002'),
      span([attribute('k', [[6, entries(10, [[1, 'k']])]])], '0000000000000003'),
    ]),
    limits,
  );
  assert.deepEqual(result.spans.map((s) => s.spanId), ['0000000000000001']);
  assert.deepEqual(result.rejectionReasons, ['attribute value holds more array or kvlist entries than 30 characters can hold']);
});

test('the rest of a span that broke a limit is skipped, not read', () => {
  const limits = { ...DEFAULT_SPAN_LIMITS, maxAttributes: 1 };
  // After the second attribute (over the limit) comes a field that is not protobuf.
  const result = decode(request([span([attribute('a', [[1, 'x']]), attribute('b', [[1, 'y']]), [9, 5n]], '0000000000000001'), span([], '0000000000000002')]), limits);
  assert.deepEqual(result.spans.map((s) => s.spanId), ['0000000000000002']);
  assert.match(result.rejectionReasons[0]!, /more than 1 attributes/);
});
