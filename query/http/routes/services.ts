import type { FastifyPluginAsync } from 'fastify';
import { listOperations, listServices, parseSpanKind } from '../../services/catalog.js';
import { invalid, nowNs, parseTimeRange, single } from '../../services/queryParams.js';
import { rejectUnknown, type QueryContext, type QueryString } from '../queryContext.js';

export const servicesRoutes: FastifyPluginAsync<{ context: QueryContext }> = async (app, { context }) => {
  // Services and operations look back over the widest allowed range by default: a service that was
  // quiet for the last hour is still one a user wants to pick.
  const range = (q: QueryString) =>
    parseTimeRange(single(q.start, 'start'), single(q.end, 'end'), {
      nowNs: nowNs(),
      defaultHours: context.limits.maxQueryRangeHours,
      maxHours: context.limits.maxQueryRangeHours,
    });

  app.get<{ Querystring: QueryString }>('/api/v1/services', async (request) => {
    rejectUnknown(request.query, ['start', 'end']);
    return { services: await listServices(context.executor, range(request.query)) };
  });

  app.get<{ Params: { service: string }; Querystring: QueryString }>('/api/v1/services/:service/operations', async (request) => {
    rejectUnknown(request.query, ['start', 'end', 'kind']);
    const kindText = single(request.query.kind, 'kind');
    const kind = kindText === undefined ? undefined : parseSpanKind(kindText);
    if (kindText !== undefined && kind === undefined) throw invalid('kind', 'must be a span kind: internal, server, client, producer or consumer');
    return { operations: await listOperations(context.executor, request.params.service, range(request.query), kind) };
  });
};
