/**
 * Jaeger's classic JSON query API (what Jaeger UI 1.x and Grafana's Jaeger data source call), with its
 * envelope `{data, total, limit, offset, errors}` for answers and errors alike. Unknown parameters are
 * ignored, as Jaeger ignores them: clients send extras (`lookback`, cache busters) freely.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import type { SpanRow } from '../../../core/model/span.js';
import { envelope, errorEnvelope, jaegerSpanKind, toJaegerTrace, type JaegerTrace } from '../../jaeger/model.js';
import {
  classicTimeRange,
  dependenciesTimeRange,
  optional,
  parseGoDuration,
  parseJaegerTraceId,
  parseLimit,
  parseTagList,
  parseTagsJson,
  translateTags,
} from '../../jaeger/params.js';
import { findTraces } from '../../jaeger/search.js';
import { listOperations, listServices, parseSpanKind } from '../../services/catalog.js';
import { buildCallTree } from '../../services/callTree.js';
import { dependencies } from '../../services/dependencies.js';
import { invalid, list, nowNs, parseTimeRange } from '../../services/queryParams.js';
import type { QueryContext, QueryString } from '../queryContext.js';

/** Jaeger UI's default page size. */
const DEFAULT_LIMIT = 20;

/** Errors in the classic API's envelope, `{data: null, ..., errors: [{code, msg}]}`, with that status. */
export async function classicErrorHandler(thrown: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const error = thrown as Error & { statusCode?: number };
  const status = error instanceof DucktraceError ? error.httpStatus : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, `jaeger query error: ${error.message}`);
  return reply.code(status).send(errorEnvelope(status, error.message));
}

export const jaegerRoutes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  app.setErrorHandler(classicErrorHandler);

  // Services and operations look back over the widest allowed range, as the native API does.
  const catalogRange = () => {
    const hours = context.limits.maxQueryRangeHours;
    return parseTimeRange(undefined, undefined, { nowNs: nowNs(), defaultHours: hours, maxHours: hours });
  };

  /** Traces by id, adjusted unless raw; ids with no spans are reported as Jaeger does. */
  const tracesByIds = async (ids: string[], adjust: boolean): Promise<{ traces: JaegerTrace[]; missing: string[] }> => {
    const spans = ids.length === 1 ? new Map<string, SpanRow[]>([[ids[0]!, await context.reader.getTraceSpans(ids[0]!)]]) : await context.reader.getTracesSpans(ids);
    const traces: JaegerTrace[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const rows = spans.get(id) ?? [];
      if (rows.length === 0) missing.push(id);
      else traces.push(toJaegerTrace(buildCallTree(id, rows, { adjust })));
    }
    return { traces, missing };
  };

  app.get('/api/services', async () => envelope(await listServices(context.executor, catalogRange())));

  app.get<{ Params: { service: string } }>('/api/services/:service/operations', async (request) => {
    const operations = await listOperations(context.executor, request.params.service, catalogRange());
    return envelope([...new Set(operations.map((o) => o.name))]);
  });

  app.get<{ Querystring: QueryString }>('/api/operations', async (request) => {
    const service = optional(request.query.service, 'service');
    if (service === undefined) throw invalid('service', 'is required');
    const kindText = optional(request.query.spanKind, 'spanKind');
    const kind = kindText === undefined ? undefined : parseSpanKind(kindText);
    if (kindText !== undefined && kind === undefined) throw invalid('spanKind', 'must be server, client, producer, consumer or internal');
    const operations = await listOperations(context.executor, service, catalogRange(), kind);
    return envelope(operations.map((o) => ({ name: o.name, spanKind: jaegerSpanKind(o.spanKind) })));
  });

  app.get<{ Params: { traceId: string }; Querystring: QueryString }>('/api/traces/:traceId', async (request, reply) => {
    const raw = optional(request.query.raw, 'raw') ?? 'false';
    if (raw !== 'true' && raw !== 'false') throw invalid('raw', 'must be true or false');
    const traceId = parseJaegerTraceId(request.params.traceId, 'traceID');
    const { traces } = await tracesByIds([traceId], raw === 'false');
    if (traces.length === 0) return reply.code(404).send(errorEnvelope(404, 'trace not found'));
    return envelope(traces);
  });

  app.get<{ Querystring: QueryString }>('/api/traces', async (request) => {
    const q = request.query;
    const traceIds = list(q.traceID).filter((id) => id !== '');
    if (traceIds.length > 0) {
      // As Jaeger: given trace ids, the other parameters are not consulted.
      if (traceIds.length > context.limits.maxSearchLimit) throw invalid('traceID', `at most ${context.limits.maxSearchLimit} trace ids (maxSearchLimit)`);
      const ids = [...new Set(traceIds.map((id) => parseJaegerTraceId(id, 'traceID')))];
      const { traces, missing } = await tracesByIds(ids, true);
      return envelope(traces, missing.map((traceID) => ({ code: 404, msg: 'trace not found', traceID })));
    }
    const duration = (name: string) => {
      const value = optional(q[name], name);
      return value === undefined ? undefined : parseGoDuration(value, name);
    };
    const spanMinDurationNs = duration('minDuration');
    const spanMaxDurationNs = duration('maxDuration');
    if (spanMinDurationNs !== undefined && spanMaxDurationNs !== undefined && spanMaxDurationNs < spanMinDurationNs) {
      throw invalid('maxDuration', 'must not be shorter than minDuration');
    }
    const tagsJson = optional(q.tags, 'tags');
    const tags = [...(tagsJson === undefined ? [] : parseTagsJson(tagsJson, 'tags')), ...parseTagList(list(q.tag), 'tag')];
    const { attributes, spanFilters } = translateTags(tags, tagsJson !== undefined ? 'tags' : 'tag');
    const limit = parseLimit(optional(q.limit, 'limit'), 'limit', { defaultLimit: DEFAULT_LIMIT, max: context.limits.maxSearchLimit });
    const range = classicTimeRange(
      { start: optional(q.start, 'start'), end: optional(q.end, 'end'), lookback: optional(q.lookback, 'lookback') },
      { nowNs: nowNs(), defaultHours: 48, maxHours: context.limits.maxQueryRangeHours },
    );
    const found = await findTraces(
      context.executor,
      { range, service: optional(q.service, 'service'), operation: optional(q.operation, 'operation'), attributes, spanMinDurationNs, spanMaxDurationNs, limit },
      spanFilters,
    );
    const { traces } = await tracesByIds(found.map((t) => t.traceId), true);
    return envelope(traces);
  });

  app.get<{ Querystring: QueryString }>('/api/dependencies', async (request) => {
    const range = dependenciesTimeRange(
      { endTs: optional(request.query.endTs, 'endTs'), lookback: optional(request.query.lookback, 'lookback') },
      { nowNs: nowNs(), maxHours: context.limits.maxQueryRangeHours },
    );
    const edges = await dependencies(context.executor, range, context.calls);
    return envelope(edges.map((e) => ({ parent: e.caller, child: e.callee, callCount: Math.round(e.callCount) })));
  });
};
