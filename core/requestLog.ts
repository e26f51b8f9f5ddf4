/**
 * fastify's request log, one entry per request: method, path, status code and response time. The query
 * string keeps its parameter names only (values are what users searched for), and no header is logged.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Longer paths are cut: a request line is bounded only by Node.js's header limit. */
const MAX_LOGGED_URL = 1000;

/** The path and the query string's parameter names, e.g. `/api/traces?service&limit`. */
export function loggedUrl(url: string): string {
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  const names = mark === -1 ? [] : [...new Set(new URLSearchParams(url.slice(mark + 1)).keys())];
  const logged = names.length === 0 ? path : `${path}?${names.join('&')}`;
  return logged.length > MAX_LOGGED_URL ? `${logged.slice(0, MAX_LOGGED_URL)}…` : logged;
}

/** Request entries at `level` (info for the query API, debug for the OTLP receivers), and at debug for the `quietRoutes`. */
export class RequestLog extends LogController {
  constructor(
    private readonly level: 'info' | 'debug',
    private readonly quietRoutes: ReadonlySet<string> = new Set(),
  ) {
    super();
  }

  /** The completed request's entry says it all. */
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = requestFields(request, reply);
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log[this.quietRoutes.has(request.routeOptions.url ?? '') ? 'debug' : this.level](fields, 'request completed');
  }

  /** fastify's own error handler (routes with none of their own): a server failure is an error, the rest is the request's entry. */
  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ ...requestFields(request, reply), err: error }, error.message);
  }
}

function requestFields(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
  return { method: request.method, url: loggedUrl(request.url), statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
}
