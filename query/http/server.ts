/** The query API server: native API under /api/v1/, the Jaeger APIs, health and metrics, and the web UI at /. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { DucktraceError } from '../../core/errors.js';
import { closeConnectionsWhenClosing } from '../../core/httpShutdown.js';
import type { Metrics } from '../../core/metrics.js';
import { RequestLog } from '../../core/requestLog.js';
import type { SqlRunner } from '../../core/storage/duckdb/sqlRunner.js';
import { protectQueryApi, type QueryAccess } from './accessControl.js';
import type { QueryContext } from './queryContext.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { jaegerRoutes } from './routes/jaeger.js';
import { jaegerMetricsRoutes } from './routes/jaegerMetrics.js';
import { jaegerV3Routes } from './routes/jaegerV3.js';
import { metricsRoutes } from './routes/metrics.js';
import { servicesRoutes } from './routes/services.js';
import { sqlRoutes } from './routes/sql.js';
import { statusRoutes, type ConfigStatus } from './routes/status.js';
import { tracesRoutes } from './routes/traces.js';
import { isUiPageRequest, sendUiNotFound, uiRoutes } from './routes/ui.js';

export interface QueryServerOptions {
  context: QueryContext;
  metrics: Metrics;
  isReady: () => Readiness;
  /** Runs POST /api/v1/sql. */
  sql: SqlRunner;
  /** The built web UI, served at /. */
  uiDir: string;
  /** Host check, CORS origins and read tokens. */
  access: QueryAccess;
  /** The Node.js server under the app (TLS, connection limits); fastify's own when absent. */
  serverFactory?: FastifyServerFactory;
  /** The settings in force, for GET /api/v1/status/config. */
  status: () => ConfigStatus;
  /** Takes one entry per request, and each failure of the server's own. */
  logger?: FastifyBaseLogger;
}

export function createQueryServer({ context, metrics, isReady, sql, uiDir, access, serverFactory, status, logger }: QueryServerOptions): FastifyInstance {
  // Probes call the health checks every few seconds: those requests are logged at debug.
  const app = Fastify({ loggerInstance: logger, logController: new RequestLog('info', new Set(['/healthz', '/readyz'])), serverFactory });
  closeConnectionsWhenClosing(app);
  // The health checks and the UI's files open without a token: probes need them, and the UI asks for it.
  const publicRoutes = new Set(['/healthz', '/readyz']);
  protectQueryApi(app, access, publicRoutes);
  app.register(healthRoutes, { metrics, isReady });
  app.register(servicesRoutes, { context });
  app.register(tracesRoutes, { context });
  app.register(metricsRoutes, { context });
  app.register(jaegerRoutes, { context });
  app.register(jaegerV3Routes, { context });
  app.register(jaegerMetricsRoutes, { context });
  app.register(sqlRoutes, { sql });
  app.register(statusRoutes, { status });
  app.register(async (ui) => {
    ui.addHook('onRoute', (route) => void publicRoutes.add(route.url));
    await ui.register(uiRoutes, { uiDir });
  });

  app.setNotFoundHandler(async (request, reply) => {
    if (isUiPageRequest(request) && (await sendUiNotFound(uiDir, reply))) return reply;
    throw new DucktraceError('not_found', `no endpoint at ${request.method} ${request.url.split('?')[0]}`);
  });
  app.setErrorHandler(async (thrown, request, reply) => {
    const error = thrown as Error & { statusCode?: number };
    const known = error instanceof DucktraceError ? error : null;
    const status = known?.httpStatus ?? (error.statusCode && error.statusCode < 500 ? error.statusCode : 500);
    const code = known?.code ?? (status < 500 ? 'invalid_argument' : 'internal');
    if (status >= 500 && !known) request.log.error({ err: error }, `query error: ${error.message}`);
    if (known?.retryAfterSeconds !== undefined) reply.header('retry-after', String(known.retryAfterSeconds));
    // An unexpected failure's text (DuckDB's, a stack) stays in the server log.
    const message = status >= 500 && !known ? 'internal error; the server log has the details' : error.message;
    return reply.code(status).send({ error: { code, message } });
  });
  return app;
}
