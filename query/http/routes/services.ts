import type { FastifyPluginAsync } from 'fastify';
import type { TraceReader } from '../../../core/storage/types.js';

export const servicesRoutes: FastifyPluginAsync<{ reader: TraceReader }> = async (app, { reader }) => {
  app.get('/api/v1/services', async () => ({ services: await reader.listServices() }));
};
