/** POST /api/v1/sql: one read-only query over the span tables and views, with a row cap and a time limit. */
import type { FastifyPluginAsync } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import type { SqlRunner } from '../../../core/storage/duckdb/sqlRunner.js';
import { parseSqlRequest } from '../../services/sqlGuard.js';

export const sqlRoutes: FastifyPluginAsync<{ sql: SqlRunner }> = async (app, { sql }) => {
  app.post('/api/v1/sql', async (request) => sql.run(parseSqlRequest(request.body)));
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/v1/sql',
    handler: async (_request, reply) => {
      reply.header('Allow', 'POST');
      throw new DucktraceError('method_not_allowed', 'use POST /api/v1/sql with a JSON body {"sql": "...", "params": [...], "limit": n}');
    },
  });
};
