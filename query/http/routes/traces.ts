import type { FastifyPluginAsync } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import { normalizeTraceId } from '../../../core/model/ids.js';
import { parseAttributeFilters } from '../../services/attributeFilter.js';
import { buildCallTree } from '../../services/callTree.js';
import { toOtlpJson } from '../../services/otlpJson.js';
import { invalid, list, nowNs, parseDuration, parseInteger, parseTimeRange, single } from '../../services/queryParams.js';
import { searchTraces } from '../../services/search.js';
import { rejectUnknown, type QueryContext, type QueryString } from '../queryContext.js';

const SEARCH_PARAMETERS = ['service', 'operation', 'attr', 'minDuration', 'maxDuration', 'spanMinDuration', 'spanMaxDuration', 'start', 'end', 'status', 'limit', 'cursor'];
const DEFAULT_LIMIT = 20;

export const tracesRoutes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  app.get<{ Params: { traceId: string }; Querystring: QueryString }>('/api/v1/traces/:traceId', async (request) => {
    rejectUnknown(request.query, ['format', 'raw']);
    const format = single(request.query.format, 'format') ?? 'tree';
    if (format !== 'tree' && format !== 'otlp') throw invalid('format', 'must be "tree" or "otlp"');
    const raw = single(request.query.raw, 'raw') ?? 'false';
    if (raw !== 'true' && raw !== 'false') throw invalid('raw', 'must be true or false');
    const traceId = normalizeTraceId(request.params.traceId);
    if (!traceId) {
      throw new DucktraceError('invalid_argument', `traceId "${request.params.traceId.slice(0, 64)}" is not 32 hex digits (and not all zeros)`);
    }
    const spans = await context.reader.getTraceSpans(traceId);
    if (spans.length === 0) throw new DucktraceError('not_found', `trace ${traceId} was not found`);
    return format === 'otlp' ? toOtlpJson(spans) : buildCallTree(traceId, spans, { adjust: raw === 'false' });
  });

  app.get<{ Querystring: QueryString }>('/api/v1/traces', async (request) => {
    const q = request.query;
    rejectUnknown(q, SEARCH_PARAMETERS);
    const duration = (name: string) => {
      const value = single(q[name], name);
      return value === undefined ? undefined : parseDuration(value, name);
    };
    const status = single(q.status, 'status');
    if (status !== undefined && status !== 'error' && status !== 'ok') throw invalid('status', 'must be "error" or "ok"');
    const limit = single(q.limit, 'limit');
    return searchTraces(context.executor, {
      range: parseTimeRange(single(q.start, 'start'), single(q.end, 'end'), { nowNs: nowNs(), defaultHours: 1, maxHours: context.limits.maxQueryRangeHours }),
      service: single(q.service, 'service'),
      operation: single(q.operation, 'operation'),
      attributes: parseAttributeFilters(list(q.attr)),
      minDurationNs: duration('minDuration'),
      maxDurationNs: duration('maxDuration'),
      spanMinDurationNs: duration('spanMinDuration'),
      spanMaxDurationNs: duration('spanMaxDuration'),
      status,
      limit: limit === undefined ? DEFAULT_LIMIT : parseInteger(limit, 'limit', 1, context.limits.maxSearchLimit),
      cursor: single(q.cursor, 'cursor'),
    });
  });
};
