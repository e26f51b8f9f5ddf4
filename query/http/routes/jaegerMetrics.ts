/**
 * Jaeger's metrics API (Service Performance Monitoring, Jaeger UI's Monitor tab): latencies, call rates
 * and error rates of a service's spans of the chosen kinds, from latency()'s sampling-weighted figures,
 * as Jaeger's MetricFamily; errors in the classic API's envelope, as Jaeger answers them.
 */
import type { FastifyPluginAsync } from 'fastify';
import { envelope } from '../../jaeger/model.js';
import { chartedOperations, METRIC_KINDS, metricsGrid, MIN_STEP_MS, parseMetricsQuery, toMetricFamily, type SeriesFigures } from '../../jaeger/metrics.js';
import { latency, type LatencyQuery } from '../../services/latency.js';
import { nowNs } from '../../services/queryParams.js';
import type { QueryContext, QueryString } from '../queryContext.js';
import { classicErrorHandler } from './jaeger.js';

/** Operations drawn per service with groupByOperation: each one is a latency() query of its own. */
const MAX_OPERATIONS = 100;

export const jaegerMetricsRoutes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  app.setErrorHandler(classicErrorHandler);

  for (const kind of METRIC_KINDS) {
    app.get<{ Querystring: QueryString }>(`/api/metrics/${kind}`, async (request) => {
      const query = parseMetricsQuery(kind, request.query, { nowNs: nowNs() });
      const grid = metricsGrid(kind, query, { maxHours: context.limits.maxQueryRangeHours });
      const figures: SeriesFigures[] = [];
      let omitted = 0;
      // One at a time: the executor refuses statements past its queue, and these can be many.
      for (const service of query.services) {
        const base: LatencyQuery = {
          range: grid.range,
          service,
          kinds: { kinds: query.spanKinds, roots: false },
          attributes: [],
          // Calls and errors read no percentile, but latency() computes at least one.
          percentiles: [query.quantile ?? 0.5],
          stepNs: grid.stepNs,
        };
        const whole = await latency(context.executor, { ...base, byOperation: query.groupByOperation });
        // A service with no such spans has no series, as in Jaeger.
        if (whole.summary.spans === 0) continue;
        if (!query.groupByOperation) {
          figures.push({ service, series: whole.series });
          continue;
        }
        const operations = whole.byOperation ?? [];
        const charted = chartedOperations(operations, MAX_OPERATIONS);
        omitted += operations.length - charted.length;
        for (const operation of charted) figures.push({ service, operation, series: (await latency(context.executor, { ...base, operation })).series });
      }
      return toMetricFamily(kind, query, grid, figures, omitted);
    });
  }

  // Removed from Jaeger in v2 (its UI never asked); kept for older clients, in its old envelope.
  app.get('/api/metrics/minstep', async () => envelope(MIN_STEP_MS));
};
