/** The decoders as the collector runs them: in slices, so that the event loop turns while a large request is decoded. */
import { jsonRequestSteps } from './decodeJson.js';
import { protobufRequestSteps } from './decodeProtobuf.js';
import type { SpanLimits } from './limits.js';
import type { OtlpEncoding } from './response.js';
import { runInSlices } from './slices.js';
import type { DecodeResult } from './spanAssembler.js';

/** The longest the decoder runs before it lets the event loop turn. */
export const DECODE_SLICE_MS = 10;

export function decodeExportTraceRequest(body: Buffer, encoding: OtlpEncoding, limits: SpanLimits): Promise<DecodeResult> {
  const steps = encoding === 'json' ? jsonRequestSteps : protobufRequestSteps;
  return runInSlices((pauser) => steps(body, limits, pauser), DECODE_SLICE_MS);
}
