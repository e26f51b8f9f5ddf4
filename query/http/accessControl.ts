/**
 * Who may use the query API: the Host header must name this server (see core/security/hostPolicy),
 * cross-origin pages are answered only from the configured origins, and with read tokens configured
 * every route but the health checks and the UI's own files needs `Authorization: Bearer <token>`, so
 * that the UI loads and can ask for the token.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { DucktraceError } from '../../core/errors.js';
import { isHostAllowed, type HostPolicy } from '../../core/security/hostPolicy.js';
import type { TokenSet } from '../../core/security/tokens.js';

export const READ_TOKEN_REQUIRED = 'a valid read token is required';

/** Each is read per request, so that a configuration reload applies at once. */
export interface QueryAccess {
  readTokens: () => TokenSet;
  hosts: () => HostPolicy;
  corsOrigins: () => ReadonlySet<string>;
}

/**
 * Installs the checks. `publicRoutes` holds the route patterns anyone may open; it may still grow
 * while routes are registered. Requests matching no route get their 404 without a token.
 */
export function protectQueryApi(app: FastifyInstance, access: QueryAccess, publicRoutes: ReadonlySet<string>): void {
  app.addHook('onRequest', async (request, reply) => {
    if (isHostAllowed(request.headers.host, access.hosts())) return;
    return reply.code(403).send({
      error: {
        code: 'host_not_allowed',
        message: `this server does not answer to the host "${(request.headers.host ?? '').slice(0, 100)}"; add it to allowedHosts (DUCKTRACE_ALLOWED_HOSTS), or * behind a proxy that checks it`,
      },
    });
  });
  // Answers preflights itself; with no origin configured, no Access-Control-Allow-Origin is ever sent.
  app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && access.corsOrigins().has(origin)),
    methods: ['GET', 'HEAD', 'POST'],
  });
  // After the CORS hook (onRequest), so that a page of an allowed origin can read the 401; before the body is read.
  app.addHook('preParsing', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || publicRoutes.has(route)) return;
    if (access.readTokens().acceptsHeader(request.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer');
    throw new DucktraceError('unauthenticated', READ_TOKEN_REQUIRED);
  });
}
