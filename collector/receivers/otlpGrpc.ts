/** OTLP/gRPC receiver: TraceService/Export with the same decoding and validation as OTLP/HTTP. */
import * as grpc from '@grpc/grpc-js';
import { DucktraceError } from '../../core/errors.js';
import { encodeExportTraceResponse, encodeStatus } from '../../core/otlp/response.js';
import type { TraceIngest } from '../pipeline/traceIngest.js';
import { ReadGate } from './readGate.js';

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

/** Calls waiting for room in the memory limit before their message is read, and for how long at most. */
const MAX_WAITING_READS = 256;
const MAX_READ_WAIT_MS = 2_000;
/** grpc-js holds a message twice until its call ends: the chunks as they came, and their concatenation. */
const COPIES_PER_MESSAGE = 2;

export function createOtlpGrpcServer(ingest: TraceIngest, options: OtlpGrpcOptions): grpc.Server {
  const gate = new ReadGate({
    tryReserve: () => ingest.tryReserveMemory(COPIES_PER_MESSAGE * options.maxBodyBytes),
    reserve: () => ingest.reserveMemory(COPIES_PER_MESSAGE * options.maxBodyBytes, 'grpc'),
    maxWaiting: MAX_WAITING_READS,
    maxWaitMs: MAX_READ_WAIT_MS,
  });
  const server = new grpc.Server({
    // grpc-js checks a message's length before reading it, and again after decompression: RESOURCE_EXHAUSTED.
    'grpc.max_receive_message_length': options.maxBodyBytes,
    interceptors: [admitBeforeReading(gate)],
  });
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

/**
 * Lets a call's message be read only once the gate admits it (see readGate.ts): until then the call's
 * stream stays paused; refused, it is answered UNAVAILABLE with RetryInfo without its message being read.
 */
function admitBeforeReading(gate: ReadGate): grpc.ServerInterceptor {
  return (_method, call) => {
    let release = (): void => undefined;
    let cancelWait = (): void => undefined;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            cancelWait = gate.admit((admission) => {
              if ('release' in admission) {
                release = admission.release;
                proceed(metadata);
              } else {
                const refusal = toServiceError(admission.refusal);
                call.sendStatus({ code: refusal.code!, details: refusal.details!, metadata: refusal.metadata ?? null });
              }
            });
          },
          onReceiveMessage: (message, proceed) => {
            release();
            proceed(message);
          },
          onCancel: () => {
            cancelWait();
            release();
          },
        }),
    });
  };
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
