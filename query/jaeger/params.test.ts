import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejectsParameter } from '../../test/fixtures/assertions.js';
import {
  classicTimeRange,
  dependenciesTimeRange,
  eitherSpelling,
  optional,
  parseGoDuration,
  parseJaegerTraceId,
  parseLimit,
  parseLookback,
  parseMicros,
  parseMillis,
  parseTagList,
  parseTagsJson,
  translateTags,
} from './params.js';

const HOUR = 3_600_000_000_000n;
const NOW = 1_700_000_000_000_000_000n;

describe('tags', () => {
  test('a JSON map, as Jaeger UI and Grafana send it', () => {
    assert.deepEqual(parseTagsJson('{"http.status_code":"500","error":"true"}', 'tags'), [
      ['http.status_code', '500'],
      ['error', 'true'],
    ]);
    assert.deepEqual(parseTagsJson('{"n":5,"b":false}', 'tags'), [['n', '5'], ['b', 'false']]);
    rejectsParameter(() => parseTagsJson('{"a":', 'tags'), 'tags', /not JSON/);
    rejectsParameter(() => parseTagsJson('["a"]', 'tags'), 'tags', /JSON object/);
    rejectsParameter(() => parseTagsJson('{"a":{"b":1}}', 'tags'), 'tags', /"a" must be a string/);
  });

  test('repeated tag=key:value, split at the first colon', () => {
    assert.deepEqual(parseTagList(['http.url:http://x:8080/a', 'k:']), [
      ['http.url', 'http://x:8080/a'],
      ['k', ''],
    ]);
    rejectsParameter(() => parseTagList(['novalue']), 'tag', /key:value/);
    rejectsParameter(() => parseTagList([':v']), 'tag');
  });

  test('error, span.kind and otel.status_code are span fields; the rest attribute equality', () => {
    assert.deepEqual(translateTags([['http.status_code', '500'], ['error', 'true'], ['span.kind', 'server']], 'tags'), {
      attributes: [{ key: 'http.status_code', op: '=', value: '500' }],
      spanFilters: { kind: 2, statusCodes: [2] },
    });
    assert.deepEqual(translateTags([['error', 'false']], 'tags').spanFilters, { statusCodes: [0, 1] });
    assert.deepEqual(translateTags([['otel.status_code', 'OK']], 'tags').spanFilters, { statusCodes: [1] });
    assert.deepEqual(translateTags([['error', 'false'], ['otel.status_code', 'ERROR']], 'tags').spanFilters, { statusCodes: [] });
    assert.deepEqual(translateTags([['span.kind', 'client'], ['span.kind', 'server']], 'tags').spanFilters, { kind: 2, statusCodes: [] });
    assert.deepEqual(translateTags([], 'tags'), { attributes: [], spanFilters: {} });
    rejectsParameter(() => translateTags([['error', 'yes']], 'tags'), 'tags', /"error" must be true or false/);
    rejectsParameter(() => translateTags([['span.kind', 'sideways']], 'tag'), 'tag', /"span.kind"/);
    rejectsParameter(() => translateTags([['otel.status_code', 'BAD']], 'tags'), 'tags', /otel.status_code/);
    rejectsParameter(() => translateTags(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'] as [string, string]), 'tags'), 'tags', /at most 32/);
  });
});

describe('times and durations', () => {
  test('Go and protobuf durations', () => {
    assert.equal(parseGoDuration('100ms', 'minDuration'), 100_000_000n);
    assert.equal(parseGoDuration('1.5s', 'minDuration'), 1_500_000_000n);
    assert.equal(parseGoDuration('0.1s', 'query.duration_min'), 100_000_000n);
    assert.equal(parseGoDuration('1m30s', 'maxDuration'), 90_000_000_000n);
    assert.equal(parseGoDuration('250us', 'maxDuration'), 250_000n);
    rejectsParameter(() => parseGoDuration('fast', 'maxDuration'), 'maxDuration');
  });

  test('microseconds and milliseconds', () => {
    assert.equal(parseMicros('1700000000123456', 'start'), 1_700_000_000_123_456_000n);
    rejectsParameter(() => parseMicros('2023-01-01', 'start'), 'start', /microseconds/);
    rejectsParameter(() => parseMicros('-5', 'end'), 'end');
    assert.equal(parseMillis('1700000000123', 'endTs'), 1_700_000_000_123_000_000n);
    rejectsParameter(() => parseMillis('1.5', 'lookback'), 'lookback');
  });

  test('lookback: Go durations, days, custom', () => {
    assert.equal(parseLookback('1h'), HOUR);
    assert.equal(parseLookback('2d'), 48n * HOUR);
    assert.equal(parseLookback('custom'), undefined);
    rejectsParameter(() => parseLookback('yesterday'), 'lookback');
    rejectsParameter(() => parseLookback('0s'), 'lookback', /longer than zero/);
  });

  test('the classic range: start/end in µs win over lookback; lookback from end; default two days', () => {
    const options = { nowNs: NOW, defaultHours: 48, maxHours: 72 };
    assert.deepEqual(classicTimeRange({ start: '1000', end: '2000', lookback: '1h' }, options), { startNs: 1_000_000n, endNs: 2_000_000n });
    assert.deepEqual(classicTimeRange({ lookback: '2h' }, options), { startNs: NOW - 2n * HOUR, endNs: NOW });
    assert.deepEqual(classicTimeRange({ end: '1700000000000000', lookback: '1h' }, options), { startNs: NOW - HOUR, endNs: NOW });
    assert.deepEqual(classicTimeRange({ lookback: 'custom' }, options), { startNs: NOW - 48n * HOUR, endNs: NOW });
    assert.deepEqual(classicTimeRange({}, { ...options, maxHours: 6 }), { startNs: NOW - 6n * HOUR, endNs: NOW });
    rejectsParameter(() => classicTimeRange({ lookback: '7d' }, options), 'lookback', /limit of 72 hours/);
    rejectsParameter(() => classicTimeRange({ start: '1000', end: String(1000 + 73 * 3_600_000_000) }, options), 'start', /limit of 72 hours/);
    rejectsParameter(() => classicTimeRange({ start: '3000', end: '2000' }, options), 'start', /before end/);
  });

  test('dependencies: endTs and lookback in ms, a day by default, clamped to the allowed range', () => {
    assert.deepEqual(dependenciesTimeRange({}, { nowNs: NOW, maxHours: 168 }), { startNs: NOW - 24n * HOUR, endNs: NOW });
    assert.deepEqual(dependenciesTimeRange({ endTs: '1700000000000', lookback: '3600000' }, { nowNs: 0n, maxHours: 168 }), { startNs: NOW - HOUR, endNs: NOW });
    assert.deepEqual(dependenciesTimeRange({ lookback: String(7 * 24 * 3_600_000) }, { nowNs: NOW, maxHours: 12 }), { startNs: NOW - 12n * HOUR, endNs: NOW });
    rejectsParameter(() => dependenciesTimeRange({ lookback: '0' }, { nowNs: NOW, maxHours: 12 }), 'lookback');
    rejectsParameter(() => dependenciesTimeRange({ endTs: 'now' }, { nowNs: NOW, maxHours: 12 }), 'endTs');
  });
});

describe('other parameters', () => {
  test('limit: default, 0 as default, capped at the maximum', () => {
    const options = { defaultLimit: 20, max: 50 };
    assert.equal(parseLimit(undefined, 'limit', options), 20);
    assert.equal(parseLimit('0', 'limit', options), 20);
    assert.equal(parseLimit('7', 'limit', options), 7);
    assert.equal(parseLimit('1500', 'limit', options), 50);
    assert.equal(parseLimit(undefined, 'limit', { defaultLimit: 20, max: 5 }), 5);
    rejectsParameter(() => parseLimit('-1', 'limit', options), 'limit');
    rejectsParameter(() => parseLimit('ten', 'query.search_depth', options), 'query.search_depth');
  });

  test('trace ids: 64-bit and short ids are padded, any case', () => {
    assert.equal(parseJaegerTraceId('A3CE929D0E0E4736', 'traceID'), '0000000000000000a3ce929d0e0e4736');
    assert.equal(parseJaegerTraceId('4bf92f3577b34da6a3ce929d0e0e4736', 'traceID'), '4bf92f3577b34da6a3ce929d0e0e4736');
    rejectsParameter(() => parseJaegerTraceId('xyz', 'traceID'), 'traceID');
    rejectsParameter(() => parseJaegerTraceId('0000', 'traceID'), 'traceID');
    rejectsParameter(() => parseJaegerTraceId('1'.repeat(33), 'trace_id'), 'trace_id');
  });

  test('empty values are absent; a repeated value is refused unless identical', () => {
    assert.equal(optional('', 'maxDuration'), undefined);
    assert.equal(optional(['', ''], 'maxDuration'), undefined);
    assert.equal(optional(['a', 'a'], 'service'), 'a');
    assert.equal(optional(['', 'b'], 'service'), 'b');
    rejectsParameter(() => optional(['a', 'b'], 'service'), 'service', /only once/);
  });

  test('api_v3 spellings: either one, not both', () => {
    const names = ['query.service_name', 'query.serviceName'];
    assert.deepEqual(eitherSpelling({ 'query.serviceName': 'web' }, names), { name: 'query.serviceName', value: 'web' });
    assert.deepEqual(eitherSpelling({ 'query.service_name': 'web', 'query.serviceName': '' }, names), { name: 'query.service_name', value: 'web' });
    assert.deepEqual(eitherSpelling({}, names), { name: 'query.service_name', value: undefined });
    rejectsParameter(() => eitherSpelling({ 'query.service_name': 'a', 'query.serviceName': 'b' }, names), 'query.service_name', /query.serviceName/);
  });
});
