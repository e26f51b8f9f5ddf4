/**
 * The Node.js HTTP(S) server under a fastify app (its `serverFactory`): capped connections, idle ones
 * closed, TLS with a certificate that is swapped in place when its files change.
 *
 * A connection is closed after `idleTimeoutMs` without traffic unless the server owes it an answer to a
 * request it has read in full (a SQL statement may run longer, silently): before its first request,
 * between keep-alive requests, and while a client stalls in the middle of sending one. Without this,
 * idle connections pile up until the process runs out of file descriptors, and then neither new
 * exports nor DuckDB's own files can be opened.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import type { ConnectionPolicy } from './connectionPolicy.js';

export function httpServerFactory(policy: ConnectionPolicy): FastifyServerFactory {
  return (handler) => {
    const { tls, idleTimeoutMs } = policy;
    let server: http.Server | https.Server;
    if (tls) {
      const secure = https.createServer({ ...tls.pair, handshakeTimeout: idleTimeoutMs }, handler);
      secure.once('close', tls.onChange((pair) => secure.setSecureContext(pair)));
      server = secure;
    } else server = http.createServer(handler);
    server.maxConnections = policy.maxConnections;
    server.on('drop', policy.onRefused);
    server.keepAliveTimeout = idleTimeoutMs;
    // fastify's own default: a request may take as long as its handler needs (queries have queryTimeoutMs).
    server.requestTimeout = 0;
    server.setTimeout(idleTimeoutMs);

    const inFlight = new WeakMap<Socket, Set<http.IncomingMessage>>();
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const requests = inFlight.get(request.socket) ?? new Set();
      inFlight.set(request.socket, requests.add(request));
      response.once('close', () => requests.delete(request));
    });
    // With a listener here, Node.js leaves a timed-out socket to it instead of destroying it.
    server.on('timeout', (socket: Socket) => {
      const awaitingAnswer = [...(inFlight.get(socket) ?? [])].some((request) => request.complete);
      if (!awaitingAnswer) socket.destroy();
    });
    // fastify types its servers as http.Server; an https.Server serves the same requests.
    return server as unknown as http.Server;
  };
}
