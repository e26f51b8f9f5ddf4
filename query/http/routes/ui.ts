/**
 * The web UI: the Vite build of ui/ served at /. Every client-side route answers index.html so that
 * links into the UI (/trace/:id, /services/:service, ...) can be shared and reloaded. Hashed assets
 * are cached for good; index.html is revalidated so a new build shows at once. A browser asking for
 * a page the UI does not have gets index.html with a 404, and the UI shows its own not-found page.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

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
    // Only the files of the build get routes; other paths go to the server's not-found handler.
    wildcard: false,
    index: false,
    setHeaders: (reply, path) => {
      const immutable = path.includes(join(uiDir, 'assets'));
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const path of UI_ROUTES) app.get(path, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
};

/** Paths of the APIs, health checks, metrics and build files: their 404 stays the API's JSON error. */
const NOT_UI = /^\/(api|v1|metrics|healthz|readyz|assets)(\/|$)/;

/**
 * Whether a request that matched no route is a browser opening a page (a GET that accepts HTML, at a
 * path no API owns), which gets the UI's not-found page rather than a JSON error.
 */
export function isUiPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (NOT_UI.test(request.url.split('?')[0]!)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/** Answers 404 with the UI's index.html; false when the UI is not built (the caller answers then). */
export async function sendUiNotFound(uiDir: string, reply: FastifyReply): Promise<boolean> {
  let page: Buffer;
  try {
    page = await readFile(join(uiDir, 'index.html'));
  } catch {
    return false;
  }
  await reply.code(404).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page);
  return true;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
