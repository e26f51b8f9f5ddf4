/**
 * Browser tests: a real headless Chromium (Debian's `chromium`, or CHROMIUM_PATH) driven by
 * playwright-core, against the real server serving a fresh Vite build of ui/.
 * Without a browser the tests say so loudly and skip; in CI (CI=true) a missing browser fails them.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import assert from 'node:assert/strict';
import { REPO_ROOT, removeTempDirs, startServer, waitForStored, type ServerHandle } from './server.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export const ARTIFACTS_DIR = join(REPO_ROOT, 'test', 'artifacts');

export function findChromium(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * The browser's path, or null after skipping `t` with a loud warning. In CI a missing browser is an
 * error: the browser tests must run there.
 */
export function chromiumOrSkip(t: TestContext): string | null {
  const path = findChromium();
  if (path !== null) return path;
  const message = `no Chromium found (looked at CHROMIUM_PATH, ${CANDIDATES.join(', ')}); install Debian's chromium (apt-get install chromium) to run the browser tests`;
  if (process.env.CI === 'true') throw new Error(`${message}. CI=true: browser tests may not be skipped.`);
  console.warn(`\n!!! BROWSER TESTS SKIPPED: ${message}\n`);
  t.skip(message);
  return null;
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** The test file's browser (each test file runs in its own process): launched by the first test that asks. */
let fileBrowser: Browser | undefined;

/** The file's browser, or null after skipping `t` when there is no Chromium (see chromiumOrSkip). */
export async function openBrowser(t: TestContext): Promise<Browser | null> {
  const executable = chromiumOrSkip(t);
  if (executable === null) return null;
  fileBrowser ??= await launchBrowser(executable);
  return fileBrowser;
}

export async function closeBrowser(): Promise<void> {
  await fileBrowser?.close();
  fileBrowser = undefined;
}

/** Every file under dir, relative, sorted: what goes into the build's cache key. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'dist' && entry.name !== 'node_modules') walk(path);
      } else files.push(relative(dir, path));
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Builds ui/ with Vite into a cache directory named by a hash of its sources (and the query types it
 * imports), so that test files share one build and a stale build is never served. Returns the directory.
 */
export async function buildUi(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of ['ui', 'query/services', 'core/otlp']) {
    for (const file of listFiles(join(REPO_ROOT, dir))) {
      hash.update(`${dir}/${file}\0`).update(readFileSync(join(REPO_ROOT, dir, file)));
    }
  }
  hash.update(readFileSync(join(REPO_ROOT, 'package-lock.json')));
  const cacheRoot = join(REPO_ROOT, 'node_modules', '.cache', 'ducktrace-ui');
  const outDir = join(cacheRoot, hash.digest('hex').slice(0, 16));
  if (existsSync(join(outDir, 'index.html'))) return outDir;
  mkdirSync(cacheRoot, { recursive: true });
  // Built beside and renamed into place, so a concurrent test file never sees half a build.
  const staging = `${outDir}.${process.pid}.tmp`;
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'ui', 'vite.config.ts'), logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  try {
    renameSync(staging, outDir);
  } catch (error) {
    if (!existsSync(join(outDir, 'index.html'))) throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}

/** Saves a full-page screenshot as test/artifacts/<name>.png (ignored by git; look at them). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  if (statSync(path).size === 0) throw new Error(`empty screenshot ${path}`);
  return path;
}

/** Collects uncaught page errors and console errors, for tests to demand there were none. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A failed request is logged by Chromium itself; the views show those as error states.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console error: ${message.text()}`);
  });
  return errors;
}

/** The real server serving a fresh build of the UI (see buildUi). */
export async function startUiServer(env: Record<string, string> = {}): Promise<ServerHandle> {
  const uiDir = await buildUi();
  return startServer({ env: { DUCKTRACE_UI_DIR: uiDir, ...env } });
}

/** The end of a UI test file: closes the browser, stops the server and checks that it exited cleanly. */
export async function stopUiServer(server: ServerHandle | undefined): Promise<void> {
  await closeBrowser();
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, exit?.stderr);
}

/**
 * Fills the server with `npm run demo` traffic: the web shop's traces through the real OpenTelemetry
 * SDK and OTLP/HTTP exporter, in a child process as a user would run it; waits until all is stored.
 */
export async function runDemo(server: ServerHandle, traces: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/shop.ts', '--endpoint', server.otlpHttpUrl, '--traces', String(traces)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`npm run demo exited with ${code}:\n${output}`);
  await waitForStored(server.queryUrl, 10_000);
}
