/**
 * The write token on both OTLP receivers: every export must carry `Authorization: Bearer <token>`
 * (gRPC: `authorization` metadata) when write tokens are configured. A refusal is 401 / UNAUTHENTICATED
 * with the same short message whether the token was missing, malformed or wrong.
 */
import * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { DucktraceError } from '../../core/errors.js';
import type { TokenSet } from '../../core/security/tokens.js';

export const WRITE_TOKEN_REQUIRED = 'a valid write token is required';

/** Checks every request before its body is read; the receiver's error handler answers in the request's encoding. */
export function requireWriteTokenHttp(app: FastifyInstance, tokens: () => TokenSet): void {
  app.addHook('onRequest', async (request, reply) => {
    if (tokens().acceptsHeader(request.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer');
    throw new DucktraceError('unauthenticated', WRITE_TOKEN_REQUIRED);
  });
}

/** Checks a call's metadata before its message is read or its handler runs. */
export function requireWriteTokenGrpc(tokens: () => TokenSet): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const [authorization] = metadata.get('authorization');
            if (tokens().acceptsHeader(typeof authorization === 'string' ? authorization : undefined)) proceed(metadata);
            else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: WRITE_TOKEN_REQUIRED });
          },
        }),
    });
}
