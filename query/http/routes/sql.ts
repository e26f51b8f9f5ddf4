/**
 * POST /api/v1/sql: one read-only query over the span tables and views, with a row cap, a byte cap and
 * a time limit. The answer is streamed: its rows are written as DuckDB gives them, never held as one
 * string, so that a large answer neither passes V8's string limit nor stalls the server while it is
 * serialized.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import type { SqlRows, SqlRunner } from '../../../core/storage/duckdb/sqlRunner.js';
import { parseSqlRequest } from '../../services/sqlGuard.js';

/** Characters of JSON gathered before they are written out. */
const PIECE_CHARACTERS = 64 * 1024;

export const sqlRoutes: FastifyPluginAsync<{ sql: SqlRunner }> = async (app, { sql }) => {
  app.post('/api/v1/sql', async (request, reply) => {
    // Errors up to the first rows (a refusal, a bad query, the time limit) are answered with their status.
    const rows = await sql.open(parseSqlRequest(request.body));
    return reply.type('application/json; charset=utf-8').send(Readable.from(answerJson(rows)));
  });
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/v1/sql',
    handler: async (_request, reply) => {
      reply.header('Allow', 'POST');
      throw new DucktraceError('method_not_allowed', 'use POST /api/v1/sql with a JSON body {"sql": "...", "params": [...], "limit": n}');
    },
  });
};

/** The answer's JSON text in pieces: columns, the rows as they come, then truncated (and why), error and elapsedMs. */
export async function* answerJson(rows: SqlRows): AsyncGenerator<string> {
  let piece = `{"columns":${JSON.stringify(rows.columns)},"rows":[`;
  let first = true;
  for await (const batch of rows.batches) {
    for (const row of batch) {
      piece += first ? row.json : `,${row.json}`;
      first = false;
      if (piece.length >= PIECE_CHARACTERS) {
        yield piece;
        piece = '';
      }
    }
  }
  yield `${piece}],${JSON.stringify(rows.end()).slice(1)}`;
}
