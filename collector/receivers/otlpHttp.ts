/**
 * OTLP/HTTP receiver: POST /v1/traces with protobuf or JSON bodies, optionally gzip, answered as the
 * OTLP specification says (response in the request's encoding, google.rpc.Status on every error).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import { DucktraceError } from '../../core/errors.js';
import { closeConnectionsWhenClosing } from '../../core/httpShutdown.js';
import { RequestLog } from '../../core/requestLog.js';
import { encodeExportTraceResponse, encodeStatus, type OtlpEncoding } from '../../core/otlp/response.js';
import type { TraceIngest } from '../pipeline/traceIngest.js';

const gunzipAsync = promisify(gunzip);

const CONTENT_TYPES: Record<string, OtlpEncoding> = {
  'application/x-protobuf': 'protobuf',
  'application/json': 'json',
};

export interface OtlpHttpOptions {
  maxBodyBytes: number;
  /** The Node.js server under the app (TLS, connection limits); fastify's own when absent. */
  serverFactory?: FastifyServerFactory;
  /** Each export is logged at debug only: at info there would be one entry per export. */
  logger?: FastifyBaseLogger;
}

export function createOtlpHttpServer(ingest: TraceIngest, options: OtlpHttpOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: options.maxBodyBytes, loggerInstance: options.logger, logController: new RequestLog('debug'), serverFactory: options.serverFactory });
  closeConnectionsWhenClosing(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(CONTENT_TYPES), { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const releaseBodyMemory = new WeakMap<FastifyRequest, () => void>();
  // Reserved before the body is read, so that many large exports arriving at once cannot all be read in.
  const reserveBodyMemory = async (request: FastifyRequest): Promise<void> => {
    const announced = Number(request.headers['content-length'] ?? 0);
    const release = ingest.reserveMemory(Number.isFinite(announced) ? Math.min(announced, options.maxBodyBytes) : 0, `http_${encodingOf(request)}`);
    releaseBodyMemory.set(request, release);
    request.raw.once('close', release);
  };

  app.post('/v1/traces', { onRequest: reserveBodyMemory }, async (request, reply) => {
    releaseBodyMemory.get(request)?.();
    const encoding = encodingOf(request);
    const body = await decompress(request.body as Buffer | undefined, request.headers['content-encoding'], options.maxBodyBytes);
    const partial = await ingest.export(body, encoding, `http_${encoding}`);
    return reply.code(200).header('content-type', contentTypeOf(encoding)).send(encodeExportTraceResponse(partial, encoding));
  });

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/v1/traces',
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new DucktraceError('method_not_allowed', 'use POST to export traces to /v1/traces');
    },
  });

  app.setNotFoundHandler(async (request) => {
    throw new DucktraceError('not_found', `no OTLP endpoint at ${request.method} ${request.url}; traces go to POST /v1/traces`);
  });

  app.setErrorHandler(async (error, request, reply) => sendError(translate(error, options.maxBodyBytes), request, reply));
  return app;
}

function encodingOf(request: FastifyRequest): OtlpEncoding {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return CONTENT_TYPES[type] ?? 'json';
}

function contentTypeOf(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** Inflates gzip without ever holding more than the body limit: a gzip bomb stops at the limit. */
async function decompress(body: Buffer | undefined, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const raw = body ?? Buffer.alloc(0);
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return raw;
  if (coding !== 'gzip') {
    throw new DucktraceError('unsupported_media_type', `Content-Encoding "${coding}" is not supported; send gzip or an uncompressed body`);
  }
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DucktraceError('payload_too_large', `the decompressed body is larger than the limit of ${maxBytes} bytes`);
    }
    throw new DucktraceError('invalid_argument', `cannot gunzip the body: ${(error as Error).message}`);
  }
}

/** Maps fastify's own errors (body limit, content type, bad headers) onto the catalog. */
function translate(error: unknown, maxBodyBytes: number): DucktraceError {
  if (error instanceof DucktraceError) return error;
  const fastifyError = error as { code?: string; statusCode?: number; message?: string };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DucktraceError('payload_too_large', `the body is larger than the limit of ${maxBodyBytes} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DucktraceError('unsupported_media_type', 'Content-Type must be application/x-protobuf or application/json');
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new DucktraceError('invalid_argument', fastifyError.message ?? 'bad request');
  }
  return new DucktraceError('internal', `internal error: ${(error as Error).message}`);
}

function sendError(error: DucktraceError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const encoding = encodingOf(request);
  const retryAfterSeconds = error.retryDelaySeconds;
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply
    .code(error.httpStatus)
    .header('content-type', contentTypeOf(encoding))
    .send(encodeStatus(error.grpcStatus, error.message, encoding, retryAfterSeconds));
}
