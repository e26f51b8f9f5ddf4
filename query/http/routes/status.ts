/**
 * GET /api/v1/status/config: the settings in force (secrets shown only as set), and the ones a reload
 * changed that wait for a restart; what an operator checks after editing the config file.
 */
import type { FastifyPluginAsync } from 'fastify';
import { rejectUnknown, type QueryString } from '../queryContext.js';

export interface ConfigStatus {
  settings: Record<string, string | number | boolean>;
  pendingRestart: string[];
}

export const statusRoutes: FastifyPluginAsync<{ status: () => ConfigStatus }> = async (app, { status }) => {
  app.get<{ Querystring: QueryString }>('/api/v1/status/config', async (request) => {
    rejectUnknown(request.query, []);
    return status();
  });
};
