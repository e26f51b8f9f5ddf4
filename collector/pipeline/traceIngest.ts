/** The one path every OTLP export takes, whatever the transport: decode, count, queue for storage. */
import { DucktraceError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { decodeExportTraceRequestJson } from '../../core/otlp/decodeJson.js';
import { decodeExportTraceRequestProtobuf } from '../../core/otlp/decodeProtobuf.js';
import { MalformedRequestError, type SpanLimits } from '../../core/otlp/limits.js';
import { partialSuccessOf, type OtlpEncoding, type PartialSuccess } from '../../core/otlp/response.js';
import type { DecodeResult } from '../../core/otlp/spanAssembler.js';
import type { SpanBatcher } from './spanBatcher.js';

export class TraceIngest {
  private readonly countReceived: (n: number, labels: Record<string, string>) => void;
  private readonly countRefused: (n: number, labels: Record<string, string>) => void;

  constructor(
    private readonly batcher: SpanBatcher,
    private readonly limits: SpanLimits,
    metrics: Metrics,
  ) {
    this.countReceived = metrics.counter('ducktrace_spans_received_total', 'Spans received over OTLP, valid or not.');
    this.countRefused = metrics.counter('ducktrace_spans_refused_total', 'Spans not accepted, by reason.');
  }

  /**
   * Resolves once the valid spans are committed, with the partial success to report (null when all were
   * valid). Throws DucktraceError: invalid_argument for an undecodable body, or a retryable overload error.
   */
  async export(body: Buffer, encoding: OtlpEncoding, transport: string): Promise<PartialSuccess | null> {
    let result: DecodeResult;
    try {
      result = encoding === 'json' ? decodeExportTraceRequestJson(body, this.limits) : decodeExportTraceRequestProtobuf(body, this.limits);
    } catch (error) {
      if (error instanceof MalformedRequestError) {
        this.countRefused(1, { reason: 'malformed_request', transport });
        throw new DucktraceError('invalid_argument', `cannot decode the ExportTraceServiceRequest: ${error.message}`);
      }
      throw error;
    }
    this.countReceived(result.spans.length + result.rejectedSpans, { transport });
    if (result.rejectedSpans > 0) this.countRefused(result.rejectedSpans, { reason: 'invalid_span', transport });
    try {
      await this.batcher.submit(result.spans);
    } catch (error) {
      if (error instanceof DucktraceError) this.countRefused(result.spans.length, { reason: error.code, transport });
      throw error;
    }
    return partialSuccessOf(result);
  }
}
