import type { FastifyPluginAsync } from 'fastify';
import { parseAttributeFilters } from '../../services/attributeFilter.js';
import { parseSpanKind } from '../../services/catalog.js';
import { dependencies } from '../../services/dependencies.js';
import { DEFAULT_PERCENTILES, latency, parseSpanKindSelection } from '../../services/latency.js';
import { invalid, list, nowNs, parseDuration, parseTimeRange, single } from '../../services/queryParams.js';
import { rejectUnknown, type QueryContext, type QueryString } from '../queryContext.js';

/** Series buckets a latency answer may hold at most. */
const MAX_BUCKETS = 2000;

export const metricsRoutes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  const range = (q: QueryString) =>
    parseTimeRange(single(q.start, 'start'), single(q.end, 'end'), { nowNs: nowNs(), defaultHours: 1, maxHours: context.limits.maxQueryRangeHours });

  app.get<{ Querystring: QueryString }>('/api/v1/latency', async (request) => {
    const q = request.query;
    rejectUnknown(q, ['service', 'operation', 'kind', 'attr', 'start', 'end', 'step', 'percentiles', 'byOperation', 'byDepth']);
    const service = single(q.service, 'service');
    if (service === undefined) throw invalid('service', 'is required');
    const kinds = parseSpanKindSelection(single(q.kind, 'kind'), parseSpanKind);
    if (kinds === undefined) throw invalid('kind', 'must be entry (server and consumer spans, and root spans; the default), all, or a comma-separated list of span kinds: internal, server, client, producer, consumer');
    const timeRange = range(q);
    const width = timeRange.endNs - timeRange.startNs;
    const stepText = single(q.step, 'step');
    // By default about 60 buckets, rounded to whole seconds.
    const stepNs = stepText !== undefined ? parseDuration(stepText, 'step') : ((width / 60n + 999_999_999n) / 1_000_000_000n) * 1_000_000_000n;
    if (stepNs <= 0n) throw invalid('step', 'must be longer than zero');
    if (width / stepNs > BigInt(MAX_BUCKETS)) throw invalid('step', `gives more than ${MAX_BUCKETS} buckets over the time range; use a longer step`);
    const percentilesText = single(q.percentiles, 'percentiles');
    const percentiles = percentilesText === undefined ? DEFAULT_PERCENTILES : percentilesText.split(',').map((p) => parsePercentile(p));
    if (percentiles.length > 20) throw invalid('percentiles', 'at most 20');
    return latency(context.executor, {
      range: timeRange,
      service,
      operation: single(q.operation, 'operation'),
      kinds,
      attributes: parseAttributeFilters(list(q.attr)),
      percentiles,
      stepNs,
      byOperation: flag(q, 'byOperation'),
      byDepth: flag(q, 'byDepth'),
    });
  });

  app.get<{ Querystring: QueryString }>('/api/v1/dependencies', async (request) => {
    rejectUnknown(request.query, ['start', 'end']);
    return { edges: await dependencies(context.executor, range(request.query), context.calls) };
  });
};

function flag(q: QueryString, name: string): boolean {
  const text = single(q[name], name);
  if (text !== undefined && text !== 'true' && text !== 'false') throw invalid(name, 'must be true or false');
  return text === 'true';
}

/** "0.99", "99", "p99" and "p99.9" all name a percentile. */
function parsePercentile(text: string): number {
  const trimmed = text.trim().replace(/^p/i, '');
  const n = Number(trimmed);
  const q = trimmed.includes('.') && n < 1 ? n : n / 100;
  if (!Number.isFinite(q) || q <= 0 || q > 1 || trimmed === '') throw invalid('percentiles', `"${text.slice(0, 20)}" is not a percentile such as 0.99, 99 or p99.9`);
  return q;
}
