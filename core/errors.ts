/** One catalog of the errors a user can cause, with their HTTP and gRPC status and whether a retry may help. */

/** gRPC status codes, as numbers so that core/ does not depend on a gRPC library. */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const ERROR_CATALOG = {
  invalid_argument: { http: 400, grpc: GRPC_STATUS.INVALID_ARGUMENT, retryable: false },
  not_found: { http: 404, grpc: GRPC_STATUS.NOT_FOUND, retryable: false },
  /** No valid token for this listener; the answer says nothing more. */
  unauthenticated: { http: 401, grpc: GRPC_STATUS.UNAUTHENTICATED, retryable: false },
  method_not_allowed: { http: 405, grpc: GRPC_STATUS.UNIMPLEMENTED, retryable: false },
  payload_too_large: { http: 413, grpc: GRPC_STATUS.RESOURCE_EXHAUSTED, retryable: false },
  unsupported_media_type: { http: 415, grpc: GRPC_STATUS.INVALID_ARGUMENT, retryable: false },
  /** Shedding load (a queue is full): the client should slow down and retry after a pause. */
  overloaded: { http: 429, grpc: GRPC_STATUS.UNAVAILABLE, retryable: true },
  /** The write-ahead log has no room left on disk: retry after a pause. */
  wal_full: { http: 503, grpc: GRPC_STATUS.UNAVAILABLE, retryable: true },
  shutting_down: { http: 503, grpc: GRPC_STATUS.UNAVAILABLE, retryable: true },
  /** Storage failed to commit; nothing was acknowledged, so the client should retry. */
  storage_unavailable: { http: 503, grpc: GRPC_STATUS.UNAVAILABLE, retryable: true },
  /** A query ran past queryTimeoutMs; a narrower query may succeed. */
  query_timeout: { http: 400, grpc: GRPC_STATUS.RESOURCE_EXHAUSTED, retryable: false },
  /** A SQL statement took more of DuckDB's memory than it may; a narrower statement may succeed. */
  query_memory: { http: 400, grpc: GRPC_STATUS.RESOURCE_EXHAUSTED, retryable: false },
  internal: { http: 500, grpc: GRPC_STATUS.INTERNAL, retryable: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class DucktraceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For retryable errors: the Retry-After the client is given. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return ERROR_CATALOG[this.code].http;
  }

  get grpcStatus(): number {
    return ERROR_CATALOG[this.code].grpc;
  }

  /** The delay a client is told to wait before retrying; undefined when a retry cannot help. */
  get retryDelaySeconds(): number | undefined {
    return ERROR_CATALOG[this.code].retryable ? this.retryAfterSeconds : undefined;
  }
}
