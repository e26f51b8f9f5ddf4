import type { FastifyInstance } from 'fastify';

/**
 * Once a fastify server starts closing, every response asks the client to close its connection.
 * Without this, a keep-alive connection whose request was in flight at SIGTERM stays open after its
 * answer, and close() waits for the client's keep-alive timeout (a minute or more) before the process
 * can store what it accepted and exit.
 */
export function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}
