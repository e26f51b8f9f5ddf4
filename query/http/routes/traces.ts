import type { FastifyPluginAsync } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import { normalizeTraceId } from '../../../core/model/ids.js';
import type { TraceReader } from '../../../core/storage/types.js';
import { buildCallTree } from '../../services/callTree.js';

export const tracesRoutes: FastifyPluginAsync<{ reader: TraceReader }> = async (app, { reader }) => {
  app.get<{ Params: { traceId: string } }>('/api/v1/traces/:traceId', async (request) => {
    const traceId = normalizeTraceId(request.params.traceId);
    if (!traceId) {
      throw new DucktraceError('invalid_argument', `traceId "${request.params.traceId.slice(0, 64)}" is not 32 hex digits (and not all zeros)`);
    }
    const spans = await reader.getTraceSpans(traceId);
    if (spans.length === 0) throw new DucktraceError('not_found', `trace ${traceId} was not found`);
    return buildCallTree(traceId, spans);
  });
};
