/**
 * Jaeger's api_v3 over HTTP (grpc-gateway JSON, what current Jaeger UI calls): traces as OTLP/JSON under
 * `result`, trace summaries as FindTraceSummariesResponse, errors as `{error: {httpCode, message}}`.
 * Parameters are taken in their proto (snake_case) and JSON (camelCase) spellings; unknown ones are
 * ignored, as Jaeger ignores them.
 */
import type { FastifyPluginAsync } from 'fastify';
import { DucktraceError } from '../../../core/errors.js';
import type { SpanRow } from '../../../core/model/span.js';
import { adjustedRows } from '../../jaeger/adjustedRows.js';
import { jaegerSpanKind } from '../../jaeger/model.js';
import { eitherSpelling, optional, parseGoBool, parseGoDuration, parseJaegerTraceId, parseLimit, parseTagsJson, translateTags, type QueryValue } from '../../jaeger/params.js';
import { findTraces } from '../../jaeger/search.js';
import { toV3TraceSummaries, v3Error } from '../../jaeger/v3.js';
import { listOperations, listServices, parseSpanKind } from '../../services/catalog.js';
import { buildCallTree } from '../../services/callTree.js';
import { toOtlpJson } from '../../services/otlpJson.js';
import { invalid, nowNs, parseTime, parseTimeRange } from '../../services/queryParams.js';
import type { TraceSearch, TraceSummary } from '../../services/search.js';
import type { QueryContext, QueryString } from '../queryContext.js';

const DEFAULT_LIMIT = 20;

/** Both spellings of each query.* field; the first is the proto name. */
const FIND_FIELDS = {
  service: ['query.service_name', 'query.serviceName'],
  operation: ['query.operation_name', 'query.operationName'],
  attributes: ['query.attributes'],
  startMin: ['query.start_time_min', 'query.startTimeMin'],
  startMax: ['query.start_time_max', 'query.startTimeMax'],
  durationMin: ['query.duration_min', 'query.durationMin'],
  durationMax: ['query.duration_max', 'query.durationMax'],
  limit: ['query.search_depth', 'query.searchDepth', 'query.num_traces', 'query.numTraces'],
  raw: ['query.raw_traces', 'query.rawTraces'],
} as const;

export const jaegerV3Routes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  app.setErrorHandler(async (thrown, request, reply) => {
    const error = thrown as Error & { statusCode?: number };
    const status = error instanceof DucktraceError ? error.httpStatus : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, `jaeger api_v3 error: ${error.message}`);
    return reply.code(status).send(v3Error(status, error.message));
  });

  const catalogRange = () => {
    const hours = context.limits.maxQueryRangeHours;
    return parseTimeRange(undefined, undefined, { nowNs: nowNs(), defaultHours: hours, maxHours: hours });
  };

  /** A trace's rows as api_v3 returns them: through the adjusters unless raw. */
  const traceRows = (traceId: string, rows: SpanRow[], raw: boolean): SpanRow[] => (raw ? rows : adjustedRows(buildCallTree(traceId, rows, { adjust: true })));

  const parseFind = (q: Record<string, QueryValue>): { search: TraceSearch; filters: ReturnType<typeof translateTags>['spanFilters']; raw: boolean } => {
    const field = (names: readonly string[]) => eitherSpelling(q, names);
    const duration = (names: readonly string[]) => {
      const { name, value } = field(names);
      return value === undefined ? undefined : parseGoDuration(value, name);
    };
    const attributes = field(FIND_FIELDS.attributes);
    const tags = translateTags(attributes.value === undefined ? [] : parseTagsJson(attributes.value, attributes.name), attributes.name);
    const startMin = field(FIND_FIELDS.startMin);
    const startMax = field(FIND_FIELDS.startMax);
    const spanMinDurationNs = duration(FIND_FIELDS.durationMin);
    const spanMaxDurationNs = duration(FIND_FIELDS.durationMax);
    if (spanMinDurationNs !== undefined && spanMaxDurationNs !== undefined && spanMaxDurationNs < spanMinDurationNs) {
      throw invalid(field(FIND_FIELDS.durationMax).name, 'must not be shorter than the minimum duration');
    }
    const limit = field(FIND_FIELDS.limit);
    const raw = field(FIND_FIELDS.raw);
    return {
      search: {
        range: parseTimeRange(startMin.value, startMax.value, {
          nowNs: nowNs(),
          defaultHours: 1,
          maxHours: context.limits.maxQueryRangeHours,
          startName: startMin.name,
          endName: startMax.name,
        }),
        service: field(FIND_FIELDS.service).value,
        operation: field(FIND_FIELDS.operation).value,
        attributes: tags.attributes,
        spanMinDurationNs,
        spanMaxDurationNs,
        limit: parseLimit(limit.value, limit.name, { defaultLimit: DEFAULT_LIMIT, max: context.limits.maxSearchLimit }),
      },
      filters: tags.spanFilters,
      raw: parseGoBool(raw.value, raw.name),
    };
  };

  app.get('/api/v3/services', async () => ({ services: await listServices(context.executor, catalogRange()) }));

  app.get<{ Querystring: QueryString }>('/api/v3/operations', async (request) => {
    const service = optional(request.query.service, 'service');
    if (service === undefined) throw invalid('service', 'is required');
    const kindField = eitherSpelling(request.query, ['span_kind', 'spanKind']);
    const kind = kindField.value === undefined ? undefined : parseSpanKind(kindField.value);
    if (kindField.value !== undefined && kind === undefined) throw invalid(kindField.name, 'must be server, client, producer, consumer or internal');
    const operations = await listOperations(context.executor, service, catalogRange(), kind);
    return { operations: operations.map((o) => ({ name: o.name, spanKind: jaegerSpanKind(o.spanKind) })) };
  });

  app.get<{ Params: { traceId: string }; Querystring: QueryString }>('/api/v3/traces/:traceId', async (request, reply) => {
    const q = request.query;
    const traceId = parseJaegerTraceId(request.params.traceId, 'trace_id');
    const start = eitherSpelling(q, ['start_time', 'startTime']);
    const end = eitherSpelling(q, ['end_time', 'endTime']);
    const raw = eitherSpelling(q, ['raw_traces', 'rawTraces']);
    const startNs = start.value === undefined ? undefined : parseTime(start.value, start.name);
    const endNs = end.value === undefined ? undefined : parseTime(end.value, end.name);
    if (startNs !== undefined && endNs !== undefined && startNs >= endNs) throw invalid(start.name, `must be before ${end.name}`);
    const rawTraces = parseGoBool(raw.value, raw.name);
    const rows = await context.reader.getTraceSpans(traceId);
    // The time window says where to look: a trace none of whose spans start in it is not found.
    const inWindow = rows.some((r) => (startNs === undefined || r.startTimeUnixNano >= startNs) && (endNs === undefined || r.startTimeUnixNano <= endNs));
    if (rows.length === 0 || !inWindow) return reply.code(404).send(v3Error(404, `trace ${traceId} was not found`));
    return { result: toOtlpJson(traceRows(traceId, rows, rawTraces)) };
  });

  const search = async (q: Record<string, QueryValue>): Promise<{ found: TraceSummary[]; raw: boolean }> => {
    const { search: traceSearch, filters, raw } = parseFind(q);
    return { found: await findTraces(context.executor, traceSearch, filters), raw };
  };

  app.get<{ Querystring: QueryString }>('/api/v3/traces', async (request) => {
    const { found, raw } = await search(request.query);
    const spans = await context.reader.getTracesSpans(found.map((t) => t.traceId));
    const rows = found.flatMap((t) => {
      const traceSpans = spans.get(t.traceId);
      return traceSpans && traceSpans.length > 0 ? traceRows(t.traceId, traceSpans, raw) : [];
    });
    // A search that finds nothing is an empty answer, not Jaeger v2's 404.
    return { result: toOtlpJson(rows) };
  });

  // As Jaeger's gateway: FindTraceSummariesResponse itself, not under `result` as the streamed traces are.
  app.get<{ Querystring: QueryString }>('/api/v3/trace-summaries', async (request) => {
    const { found } = await search(request.query);
    return toV3TraceSummaries(found);
  });
};
