import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../../core/metrics.js';

/** True when ready; otherwise why not (starting, shutting down, storage that cannot write). */
export type Readiness = true | string;

export interface HealthOptions {
  metrics: Metrics;
  isReady: () => Readiness;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { metrics, isReady }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = isReady();
    if (readiness === true) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not ready', reason: readiness });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );
};
