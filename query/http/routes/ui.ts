/**
 * The web UI: the Vite build of ui/ served at /. Every client-side route answers index.html so that
 * links into the UI (/trace/:id, /services/:service, ...) can be shared and reloaded. Hashed assets
 * are cached for good; index.html is revalidated so a new build shows at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface UiOptions {
  /** The directory of the built UI (with index.html). */
  uiDir: string;
}

/** The UI's own routes; everything else under / is a file of the build or a 404. */
export const UI_ROUTES = ['/', '/search', '/trace/:traceId', '/services', '/services/:service', '/map', '/sql'];

export const uiRoutes: FastifyPluginAsync<UiOptions> = async (app, { uiDir }) => {
  if (!existsSync(join(uiDir, 'index.html'))) {
    const page = `<!doctype html><meta charset="utf-8"><title>ducktrace</title><p>The ducktrace web UI is not built in <code>${escapeHtml(uiDir)}</code>. Run <code>npm run build</code> (or start with <code>npm start</code>, which builds it when it is missing). The query API is at <a href="/api/v1/services">/api/v1/services</a>.</p>`;
    for (const path of UI_ROUTES) app.get(path, async (_request, reply) => reply.code(503).type('text/html; charset=utf-8').send(page));
    return;
  }
  await app.register(fastifyStatic, {
    root: uiDir,
    // Only the files of the build get routes: unknown paths keep the API's JSON 404.
    wildcard: false,
    index: false,
    setHeaders: (reply, path) => {
      const immutable = path.includes(join(uiDir, 'assets'));
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const path of UI_ROUTES) app.get(path, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
