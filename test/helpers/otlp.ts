/**
 * Raw OTLP for the end-to-end tests: hand-made ReadableSpans (ids of any length, as a buggy client
 * might send), request bodies serialized by @opentelemetry/otlp-transformer, a hand-written protobuf
 * reader for the responses, a fetch-based OTLP/HTTP client and a raw @grpc/grpc-js client.
 */
import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export const randomTraceId = (): string => randomBytes(16).toString('hex');
export const randomSpanId = (): string => randomBytes(8).toString('hex');

export interface SpanSpec {
  traceId: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  service?: string;
  kind?: SpanKind;
  startTime?: HrTime;
  durationNs?: number;
  attributes?: Attributes;
  status?: { code: SpanStatusCode; message?: string };
}

/** A ReadableSpan built by hand: ids are used exactly as given, valid or not. */
export function makeSpan(spec: SpanSpec): ReadableSpan {
  const start: HrTime = spec.startTime ?? [Math.floor(Date.now() / 1000) - 10, 500_000_001];
  const durationNs = spec.durationNs ?? 1_234_567;
  const endTotal = BigInt(start[1]) + BigInt(durationNs);
  const end: HrTime = [start[0] + Number(endTotal / 1_000_000_000n), Number(endTotal % 1_000_000_000n)];
  const spanId = spec.spanId ?? randomSpanId();
  return {
    name: spec.name ?? 'op',
    kind: spec.kind ?? SpanKind.INTERNAL,
    spanContext: () => ({ traceId: spec.traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
    parentSpanContext: spec.parentSpanId ? { traceId: spec.traceId, spanId: spec.parentSpanId, traceFlags: TraceFlags.SAMPLED } : undefined,
    startTime: start,
    endTime: end,
    duration: [Math.floor(durationNs / 1e9), durationNs % 1e9],
    status: spec.status ?? { code: SpanStatusCode.UNSET },
    attributes: spec.attributes ?? {},
    links: [],
    events: [],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': spec.service ?? 'e2e-raw' }),
    instrumentationScope: { name: 'e2e-raw-scope', version: '0.0.1' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** A small valid trace: a root and `children` children, all in `traceId`. */
export function makeTrace(traceId = randomTraceId(), children = 2, service = 'e2e-raw'): ReadableSpan[] {
  const rootId = randomSpanId();
  const base: HrTime = [Math.floor(Date.now() / 1000) - 10, 100_000_007];
  const spans = [makeSpan({ traceId, spanId: rootId, name: 'root', service, kind: SpanKind.SERVER, startTime: base, durationNs: 9_000_000, attributes: { 'e2e.n': 1, 'e2e.s': 'x' } })];
  for (let i = 0; i < children; i++) {
    spans.push(makeSpan({ traceId, parentSpanId: rootId, name: `child ${i}`, service, startTime: [base[0], base[1] + 1_000 * (i + 1)], durationNs: 1_000 + i }));
  }
  return spans;
}

export function protobufRequest(spans: ReadableSpan[]): Buffer {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('the protobuf serializer returned nothing');
  return Buffer.from(bytes);
}

export function jsonRequest(spans: ReadableSpan[]): Buffer {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('the JSON serializer returned nothing');
  return Buffer.from(bytes);
}

// ---------------------------------------------------------------------------------------------------
// OTLP/HTTP

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Buffer;
}

export const PROTOBUF = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

export async function postOtlp(
  otlpHttpUrl: string,
  body: Buffer | string,
  options: { contentType?: string; gzip?: boolean; contentEncoding?: string; method?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  let payload = typeof body === 'string' ? Buffer.from(body) : body;
  if (options.gzip) {
    payload = gzipSync(payload);
    headers['content-encoding'] = 'gzip';
  }
  if (options.contentEncoding !== undefined) headers['content-encoding'] = options.contentEncoding;
  const response = await fetch(`${otlpHttpUrl}/v1/traces`, { method: options.method ?? 'POST', headers, body: new Uint8Array(payload) });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

// ---------------------------------------------------------------------------------------------------
// Protobuf responses, read by hand

export interface ProtoField {
  field: number;
  wire: number;
  /** Varints as bigint, length-delimited fields as bytes. */
  value: bigint | Buffer;
}

export function readProtobuf(bytes: Buffer): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (pos + length > bytes.length) throw new Error('truncated length-delimited field');
      fields.push({ field, wire, value: bytes.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 1) {
      fields.push({ field, wire, value: bytes.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      fields.push({ field, wire, value: bytes.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

/** google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; } */
export function decodeStatus(bytes: Buffer): { code: number; message: string; details: number } {
  let code = 0;
  let message = '';
  let details = 0;
  for (const f of readProtobuf(bytes)) {
    if (f.field === 1 && f.wire === 0) code = Number(f.value);
    else if (f.field === 2 && f.wire === 2) message = (f.value as Buffer).toString('utf8');
    else if (f.field === 3 && f.wire === 2) details++;
    else throw new Error(`unexpected field ${f.field} (wire ${f.wire}) in google.rpc.Status`);
  }
  return { code, message, details };
}

/** The google.rpc.RetryInfo delay (whole seconds) in a protobuf google.rpc.Status, or undefined without one. */
export function decodeRetryDelaySeconds(statusBytes: Buffer): number | undefined {
  for (const detail of readProtobuf(statusBytes).filter((f) => f.field === 3)) {
    const any = readProtobuf(detail.value as Buffer);
    const typeUrl = (any.find((f) => f.field === 1)?.value as Buffer | undefined)?.toString('utf8');
    if (typeUrl !== 'type.googleapis.com/google.rpc.RetryInfo') continue;
    const retryInfo = readProtobuf((any.find((f) => f.field === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0));
    const duration = readProtobuf((retryInfo.find((f) => f.field === 1)?.value as Buffer | undefined) ?? Buffer.alloc(0));
    return Number((duration.find((f) => f.field === 1)?.value as bigint | undefined) ?? 0n);
  }
  return undefined;
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 { int64 rejected_spans = 1; string error_message = 2; } } */
export function decodeExportResponse(bytes: Buffer): { partialSuccess?: { rejectedSpans: bigint; errorMessage: string } } {
  const result: { partialSuccess?: { rejectedSpans: bigint; errorMessage: string } } = {};
  for (const f of readProtobuf(bytes)) {
    if (f.field !== 1 || f.wire !== 2) throw new Error(`unexpected field ${f.field} (wire ${f.wire}) in ExportTraceServiceResponse`);
    const partial = { rejectedSpans: 0n, errorMessage: '' };
    for (const g of readProtobuf(f.value as Buffer)) {
      if (g.field === 1 && g.wire === 0) partial.rejectedSpans = g.value as bigint;
      else if (g.field === 2 && g.wire === 2) partial.errorMessage = (g.value as Buffer).toString('utf8');
      else throw new Error(`unexpected field ${g.field} (wire ${g.wire}) in ExportTracePartialSuccess`);
    }
    result.partialSuccess = partial;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// OTLP/gRPC, raw

export const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (bytes: Buffer): Buffer => bytes;

export interface GrpcResult {
  error: grpc.ServiceError | null;
  response: Buffer | undefined;
}

/**
 * One unary Export call with the request bytes as given; `gzip` makes the channel compress messages;
 * `ownConnection` gives the call a connection of its own (grpc-js otherwise shares one between clients).
 */
export function grpcExport(address: string, body: Buffer, options: { gzip?: boolean; timeoutMs?: number; ownConnection?: boolean } = {}): Promise<GrpcResult> {
  const channelOptions: grpc.ChannelOptions = {
    ...(options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
    ...(options.ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
  };
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      GRPC_EXPORT_PATH,
      identity,
      identity,
      body,
      new grpc.Metadata(),
      { deadline: Date.now() + (options.timeoutMs ?? 15_000) },
      (error, response) => {
        client.close();
        resolve({ error: error ?? null, response });
      },
    );
  });
}

export { grpc };

export interface GrpcAnswer {
  grpcStatus: number;
  grpcMessage: string;
  headers: http2.IncomingHttpHeaders;
}

/**
 * Starts an Export call over raw HTTP/2 (a connection of its own) whose message announces `announcedBytes`
 * but sends only its first `sentBytes`, and never ends. `answer` resolves if the server answers anyway;
 * `close` drops the connection, which cancels the call.
 */
export function startUnfinishedExport(address: string, announcedBytes: number, sentBytes: number): { answer: Promise<GrpcAnswer>; close(): void } {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': GRPC_EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(announcedBytes, 1);
  stream.write(Buffer.concat([prefix, Buffer.alloc(sentBytes)]));
  const answer = new Promise<GrpcAnswer>((resolve) => {
    stream.once('response', (headers) => {
      resolve({ grpcStatus: Number(headers['grpc-status']), grpcMessage: decodeURIComponent(String(headers['grpc-message'] ?? '')), headers });
    });
  });
  return { answer, close: () => session.destroy() };
}
