/**
 * Fuzzed OTLP export bodies: valid requests (built by the OpenTelemetry SDK's own serializers), then
 * mutated: bits flipped, bytes overwritten, cut short, slices repeated, garbage inserted, varints made
 * huge, JSON tokens swapped for hostile ones, gzip wrapped or broken. Body `index` of run `seed` is
 * always the same body, so a failure is reproduced from the two numbers alone.
 */
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { random } from '../fixtures/random.js';
import { jsonRequest, makeSpan, protobufRequest } from '../helpers/otlp.js';

export type Transport = 'http-protobuf' | 'http-json' | 'grpc';

export interface FuzzBody {
  transport: Transport;
  /** The Content-Type sent over HTTP (sometimes not one OTLP knows). */
  contentType: string;
  /** Content-Encoding over HTTP: gzip bodies are gzipped (or broken) after mutation. */
  gzip: boolean;
  body: Buffer;
  /** What was done to it, for the failure report. */
  mutations: string[];
}

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
const hex = (rng: Rng, digits: number): string => Array.from({ length: digits }, () => int(rng, 16).toString(16)).join('');

/** A few spans with every kind of field set: nested attribute values, events, links, status. */
function baseSpans(rng: Rng): ReadableSpan[] {
  const traceId = hex(rng, 32);
  const rootId = hex(rng, 16);
  const spans: ReadableSpan[] = [];
  const count = 1 + int(rng, 6);
  for (let i = 0; i < count; i++) {
    const span = makeSpan({
      traceId,
      spanId: i === 0 ? rootId : hex(rng, 16),
      parentSpanId: i === 0 ? undefined : rootId,
      name: pick(rng, ['GET /', 'SELECT', 'ünïcødé 🚀', '', 'x'.repeat(int(rng, 300))]),
      service: pick(rng, ['fuzz', 'fuzz-b', '']),
      kind: pick(rng, [SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.PRODUCER, SpanKind.CONSUMER]),
      durationNs: int(rng, 5_000_000_000),
      attributes: {
        'http.response.status_code': pick(rng, [200, 500, -1, 2 ** 53]),
        'fuzz.list': ['a', 'b', String(int(rng, 1000))],
        'fuzz.flag': rng() < 0.5,
        'fuzz.ratio': rng(),
      },
      status: rng() < 0.3 ? { code: SpanStatusCode.ERROR, message: 'boom' } : undefined,
    });
    if (rng() < 0.3) (span.events as unknown as object[]).push({ name: 'exception', time: span.startTime, attributes: { 'exception.stacktrace': 'at x\nat y' }, droppedAttributesCount: 0 });
    if (rng() < 0.2) (span.links as unknown as object[]).push({ context: { traceId: hex(rng, 32), spanId: hex(rng, 16), traceFlags: 1 }, attributes: {}, droppedAttributesCount: 0 });
    spans.push(span);
  }
  return spans;
}

function mutateBytes(rng: Rng, input: Buffer, log: string[]): Buffer {
  let body: Buffer = Buffer.from(input);
  const rounds = 1 + int(rng, 4);
  for (let r = 0; r < rounds; r++) {
    const at = body.length === 0 ? 0 : int(rng, body.length);
    switch (int(rng, 7)) {
      case 0:
        if (body.length > 0) body[at] = body[at]! ^ (1 << int(rng, 8));
        log.push(`flip bit at ${at}`);
        break;
      case 1:
        if (body.length > 0) body[at] = int(rng, 256);
        log.push(`overwrite byte at ${at}`);
        break;
      case 2:
        body = body.subarray(0, at);
        log.push(`cut at ${at}`);
        break;
      case 3: {
        const length = int(rng, 64);
        const slice = body.subarray(at, at + length);
        const times = 1 + int(rng, 50);
        body = Buffer.concat([body.subarray(0, at), ...Array.from({ length: times }, () => slice), body.subarray(at)]);
        log.push(`repeat ${slice.length} bytes at ${at} ${times} times`);
        break;
      }
      case 4: {
        const garbage = Buffer.from(Array.from({ length: 1 + int(rng, 32) }, () => int(rng, 256)));
        body = Buffer.concat([body.subarray(0, at), garbage, body.subarray(at)]);
        log.push(`insert ${garbage.length} random bytes at ${at}`);
        break;
      }
      case 5: {
        // A length or varint as large as ten bytes can say.
        const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        body = Buffer.concat([body.subarray(0, at), huge, body.subarray(Math.min(body.length, at + 1))]);
        log.push(`huge varint at ${at}`);
        break;
      }
      default: {
        // A field tag that claims a deep or long nested message.
        const nested = Buffer.concat(Array.from({ length: 1 + int(rng, 200) }, () => Buffer.from([0x0a, 0x7f])));
        body = Buffer.concat([body.subarray(0, at), nested, body.subarray(at)]);
        log.push(`nested tags at ${at}`);
      }
    }
  }
  return body;
}

const HOSTILE_JSON = [
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  '1e999999',
  '-0',
  '18446744073709551616',
  '"\\ud800"',
  'null',
  'true',
  '{}',
  '""',
  '"zz"',
  '{"__proto__": {"polluted": 1}}',
  '"AAAA===="',
  '9'.repeat(400),
];

function mutateJson(rng: Rng, input: Buffer, log: string[]): Buffer {
  let text = input.toString('utf8');
  const rounds = 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    // Replace one value (after a ':') with a hostile token.
    const colons = [...text.matchAll(/:/g)].map((m) => m.index!);
    if (colons.length === 0) break;
    const at = pick(rng, colons) + 1;
    const end = text.slice(at).search(/[,}\]]/);
    const token = pick(rng, HOSTILE_JSON);
    text = text.slice(0, at) + token + text.slice(end < 0 ? text.length : at + end);
    log.push(`value at ${at} -> ${token.slice(0, 24)}`);
  }
  return Buffer.from(text);
}

export function fuzzBody(seed: number, index: number): FuzzBody {
  const rng = random((seed * 1_000_003 + index) >>> 0);
  const transport = pick(rng, ['http-protobuf', 'http-protobuf', 'http-json', 'http-json', 'grpc'] as const);
  const spans = baseSpans(rng);
  const mutations: string[] = [];
  let body = transport === 'http-json' ? jsonRequest(spans) : protobufRequest(spans);
  const kind = rng();
  if (kind < 0.1) mutations.push('valid');
  else if (transport === 'http-json' && kind < 0.6) body = mutateJson(rng, body, mutations);
  else body = mutateBytes(rng, body, mutations);
  const gzip = transport !== 'grpc' && rng() < 0.2;
  if (gzip) {
    body = gzipSync(body);
    if (rng() < 0.3) {
      body = mutateBytes(rng, body, mutations);
      mutations.push('(in the gzip stream)');
    }
  }
  // Mostly the content type OTLP defines; now and then one it does not (415).
  const odd = rng() < 0.05;
  const contentType =
    transport === 'http-json'
      ? odd ? pick(rng, ['text/plain', '']) : pick(rng, ['application/json', 'application/json; charset=utf-8'])
      : odd ? pick(rng, ['application/protobuf', '']) : 'application/x-protobuf';
  return { transport, contentType, gzip, body, mutations };
}
