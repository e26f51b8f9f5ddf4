/**
 * OTLP responses: ExportTraceServiceResponse for success and partial success, google.rpc.Status for
 * errors, each in the encoding of the request (OTLP/HTTP: "the response MUST use the request's Content-Type").
 */
import type { DecodeResult } from './spanAssembler.js';

export type OtlpEncoding = 'protobuf' | 'json';

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

export function partialSuccessOf(result: DecodeResult): PartialSuccess | null {
  if (result.rejectedSpans === 0) return null;
  return {
    rejectedSpans: result.rejectedSpans,
    errorMessage: `${result.rejectedSpans} span(s) rejected: ${result.rejectionReasons.join('; ')}`,
  };
}

/** An empty message on full success, as the specification asks; partial_success when spans were rejected. */
export function encodeExportTraceResponse(partial: PartialSuccess | null, encoding: OtlpEncoding): Buffer {
  if (encoding === 'json') {
    const body = partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  if (!partial) return Buffer.alloc(0);
  const inner = Buffer.concat([varintField(1, partial.rejectedSpans), stringField(2, partial.errorMessage)]);
  return lengthDelimited(1, inner);
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * google.rpc.Status { code = 1; message = 2; details = 3 }. A retryable refusal carries one detail,
 * google.rpc.RetryInfo { retry_delay = 1 (Duration) }: the OTLP specification's throttling signal
 * (for gRPC in grpc-status-details-bin; for HTTP beside the Retry-After header).
 */
export function encodeStatus(grpcCode: number, message: string, encoding: OtlpEncoding, retryAfterSeconds?: number): Buffer {
  if (encoding === 'json') {
    const details = retryAfterSeconds === undefined ? [] : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${retryAfterSeconds}s` }];
    return Buffer.from(JSON.stringify({ code: grpcCode, message, details }));
  }
  const status = [varintField(1, grpcCode), stringField(2, message)];
  if (retryAfterSeconds !== undefined) {
    const duration = varintField(1, retryAfterSeconds);
    // An empty Duration is written out so that the RetryInfo still names a (zero) delay.
    const retryInfo = lengthDelimited(1, duration);
    const any = Buffer.concat([stringField(1, RETRY_INFO_TYPE_URL), lengthDelimited(2, retryInfo)]);
    status.push(lengthDelimited(3, any));
  }
  return Buffer.concat(status);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function varintField(field: number, value: number): Buffer {
  return value === 0 ? Buffer.alloc(0) : Buffer.concat([varint((field << 3) | 0), varint(value)]);
}

function stringField(field: number, text: string): Buffer {
  return text === '' ? Buffer.alloc(0) : lengthDelimited(field, Buffer.from(text, 'utf8'));
}

function lengthDelimited(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}
