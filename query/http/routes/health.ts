import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../../core/metrics.js';

export interface HealthOptions {
  metrics: Metrics;
  /** False while starting or shutting down. */
  isReady: () => boolean;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { metrics, isReady }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );
};
