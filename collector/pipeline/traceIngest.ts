/**
 * The one path every OTLP export takes, whatever the transport: decode, head-sample, admit (or shed
 * load), write to the write-ahead log and fsync, then answer; the sampling stage takes it from there.
 * Without a write-ahead log, the answer waits until the spans are committed to storage instead.
 */
import { DucktraceError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { decodeExportTraceRequest } from '../../core/otlp/decodeRequest.js';
import { MalformedRequestError, RequestTooLargeError, type SpanLimits } from '../../core/otlp/limits.js';
import { partialSuccessOf, type OtlpEncoding, type PartialSuccess } from '../../core/otlp/response.js';
import type { DecodeResult } from '../../core/otlp/spanAssembler.js';
import type { WriteAheadLog } from '../wal/writeAheadLog.js';
import { DECODED_BYTES_PER_BODY_BYTE, type MemoryLimiter } from './memoryLimiter.js';
import type { SamplingStage } from './samplingStage.js';
import type { SpanBatcher } from './spanBatcher.js';

export class TraceIngest {
  private readonly countReceived: (n: number, labels: Record<string, string>) => void;
  private readonly countAccepted: (n: number, labels: Record<string, string>) => void;
  private readonly countRefused: (n: number, labels: Record<string, string>) => void;
  private readonly countRefusedExports: (n: number, labels: Record<string, string>) => void;

  constructor(
    private readonly stage: SamplingStage,
    private readonly batcher: SpanBatcher,
    private readonly wal: WriteAheadLog | null,
    private readonly limits: SpanLimits,
    private readonly memory: MemoryLimiter,
    metrics: Metrics,
  ) {
    this.countReceived = metrics.counter('ducktrace_spans_received_total', 'Spans received over OTLP, valid or not.');
    this.countAccepted = metrics.counter('ducktrace_spans_accepted_total', 'Spans acknowledged to the client after head sampling (durable in the write-ahead log).');
    this.countRefused = metrics.counter('ducktrace_spans_refused_total', 'Spans not accepted, by reason.');
    this.countRefusedExports = metrics.counter(
      'ducktrace_exports_refused_total',
      'Exports refused before their spans were decoded, by reason (memory_limit: the memory in use was at memoryLimitMb; too_many_spans: more than maxSpansPerRequest).',
    );
  }

  /**
   * Resolves with the partial success to report (null when all spans were valid) once the accepted
   * spans are durable. Throws DucktraceError: invalid_argument for an undecodable body, payload_too_large
   * for one of more than maxSpansPerRequest spans, or a retryable
   * error when load must be shed (overloaded: the writer is behind or memory is at its limit; wal_full;
   * shutting_down).
   */
  async export(body: Buffer, encoding: OtlpEncoding, transport: string): Promise<PartialSuccess | null> {
    const release = this.reserveMemory(body.length * DECODED_BYTES_PER_BODY_BYTE[encoding], transport);
    try {
      return await this.decodeAndAccept(body, encoding, transport);
    } finally {
      release();
    }
  }

  /**
   * Reserves memory for an export (a receiver reserves its announced body before reading it) and returns
   * the release; throws the retryable 'overloaded' error when the memory limit has no room for it.
   */
  reserveMemory(bytes: number, transport: string): () => void {
    try {
      return this.memory.reserve(bytes);
    } catch (error) {
      this.countRefusedExports(1, { reason: 'memory_limit', transport });
      throw error;
    }
  }

  /** Like reserveMemory, but null when there is no room, and no refusal counted: for a caller that waits for room. */
  tryReserveMemory(bytes: number): (() => void) | null {
    try {
      return this.memory.reserve(bytes);
    } catch (error) {
      if (error instanceof DucktraceError) return null;
      throw error;
    }
  }

  private async decodeAndAccept(body: Buffer, encoding: OtlpEncoding, transport: string): Promise<PartialSuccess | null> {
    let result: DecodeResult;
    try {
      result = await decodeExportTraceRequest(body, encoding, this.limits);
    } catch (error) {
      if (error instanceof MalformedRequestError) {
        this.countRefused(1, { reason: 'malformed_request', transport });
        throw new DucktraceError('invalid_argument', `cannot decode the ExportTraceServiceRequest: ${error.message}`);
      }
      if (error instanceof RequestTooLargeError) {
        this.countRefusedExports(1, { reason: 'too_many_spans', transport });
        throw new DucktraceError('payload_too_large', `${error.message}, the most one request may hold (maxSpansPerRequest, never more than maxQueuedSpans); send smaller batches`);
      }
      throw error;
    }
    this.countReceived(result.spans.length + result.rejectedSpans, { transport });
    if (result.rejectedSpans > 0) this.countRefused(result.rejectedSpans, { reason: 'invalid_span', transport });
    const kept = await this.stage.headSample(result.spans);
    if (kept.length > 0) {
      try {
        this.batcher.assertRoomFor(kept.length);
        const record = this.wal ? await this.wal.append(kept) : null;
        const committed = this.stage.accept(kept, record);
        if (!this.wal && committed) await committed;
      } catch (error) {
        if (error instanceof DucktraceError) this.countRefused(kept.length, { reason: error.code, transport });
        throw error;
      }
      this.countAccepted(kept.length, { transport });
    }
    return partialSuccessOf(result);
  }
}
