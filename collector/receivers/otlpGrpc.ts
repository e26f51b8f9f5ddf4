/** OTLP/gRPC receiver: TraceService/Export with the same decoding and validation as OTLP/HTTP. */
import * as grpc from '@grpc/grpc-js';
import { DucktraceError } from '../../core/errors.js';
import { encodeExportTraceResponse, encodeStatus } from '../../core/otlp/response.js';
import type { TraceIngest } from '../pipeline/traceIngest.js';

const identity = (bytes: Buffer): Buffer => bytes;

/** Request and response stay raw bytes: the hand-written decoder reads the request itself. */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface OtlpGrpcOptions {
  maxBodyBytes: number;
}

export function createOtlpGrpcServer(ingest: TraceIngest, options: OtlpGrpcOptions): grpc.Server {
  // grpc-js enforces the receive limit after decompression too, answering RESOURCE_EXHAUSTED.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxBodyBytes });
  server.addService(TRACE_SERVICE, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      ingest.export(call.request, 'protobuf', 'grpc').then(
        (partial) => callback(null, encodeExportTraceResponse(partial, 'protobuf')),
        (error: unknown) => callback(toServiceError(error)),
      );
    },
  });
  return server;
}

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof DucktraceError) {
    const retryAfterSeconds = error.retryDelaySeconds;
    if (retryAfterSeconds === undefined) return { code: error.grpcStatus, details: error.message };
    // The OTLP specification's throttling signal: google.rpc.RetryInfo in the status details.
    const metadata = new grpc.Metadata();
    metadata.set('grpc-status-details-bin', encodeStatus(error.grpcStatus, error.message, 'protobuf', retryAfterSeconds));
    return { code: error.grpcStatus, details: error.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: `internal error: ${(error as Error).message}` };
}
