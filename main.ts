/**
 * `npm start`: load and validate the configuration, run the all-in-one server, reload the
 * configuration on SIGHUP or when its file changes, and stop cleanly on SIGTERM/SIGINT.
 */
import { existsSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_UI_DIR, resolveUiDir, startDucktrace, type ReloadResult, type ServerConfig } from './app.js';
import { ConfigError, describeSettings, loadConfig } from './core/config.js';
import { configureLogging, logger } from './core/logger.js';
import { DamagedDatabaseError, DataDirectoryLockedError } from './core/storage/duckdb/database.js';
import { parseSamplingConfig } from './collector/sampling/samplingConfig.js';

if (process.argv.includes('--help')) {
  console.log('ducktrace: OTLP tracing backend on DuckDB. Settings (environment variable, default):');
  for (const s of describeSettings()) console.log(`  ${s.env.padEnd(40)} ${s.default}`);
  console.log('  --build-ui                               build the web UI first when it is missing (npm start does)');
  console.log('  DUCKTRACE_CONFIG                         (a YAML or JSON file with the same settings in camelCase, and `sampling`)');
  console.log('  DUCKTRACE_HEAP_MEMORY_MB                 (unset: Node.js\'s own; read by npm start and the container: the JavaScript heap\'s cap)');
  process.exit(0);
}

// To the log like every other error, then exit as Node.js would; acknowledged spans are in the write-ahead log.
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, `ducktrace: uncaught error, exiting: ${error.message}`);
  process.exit(1);
});

/** `npm start` (--build-ui): a fresh clone gets its UI built by Vite on the first start. */
async function buildUiIfMissing(uiDir: string): Promise<void> {
  if (uiDir !== DEFAULT_UI_DIR || existsSync(join(uiDir, 'index.html'))) return;
  logger.info('ducktrace: building the web UI (first start; `npm run build` does it ahead of time)');
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('./ui/vite.config.ts', import.meta.url)), logLevel: 'warn' });
}

/** The whole configuration, validated; throws ConfigError naming the bad key and value. */
function readConfig(): ServerConfig {
  const loaded = loadConfig();
  return { ...loaded, sampling: parseSamplingConfig(loaded.sampling, process.env.DUCKTRACE_CONFIG ?? 'sampling') };
}

// Handled from the start: a signal that comes while the server starts (its listening lines are out
// already) would otherwise end the process at once. Each waits until the server runs.
const pendingSignals: NodeJS.Signals[] = [];
let onSignal = (signal: NodeJS.Signals): void => void pendingSignals.push(signal);
for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(signal, () => onSignal(signal));

try {
  const config = readConfig();
  configureLogging(config);
  if (process.argv.includes('--build-ui')) await buildUiIfMissing(resolveUiDir(config.uiDir));
  const server = await startDucktrace(config);

  const reload = (why: string): void => {
    let result: ReloadResult;
    try {
      const next = readConfig();
      result = server.reload(next);
      configureLogging(next);
    } catch (error) {
      logger.warn(`ducktrace: configuration reload (${why}) refused, the previous configuration stays in force: ${(error as Error).message}`);
      return;
    }
    logger.info(`ducktrace: configuration reloaded (${why}); ${result.applied.length > 0 ? `applied ${result.applied.join(', ')}` : 'no setting changed'}`);
    if (result.needRestart.length > 0) {
      logger.warn(`ducktrace: ${result.needRestart.join(', ')} changed in the configuration but take effect only at a restart; the values in force stay until then`);
    }
  };
  const configPath = process.env.DUCKTRACE_CONFIG;
  // Polling survives editors that replace the file rather than write it in place.
  if (configPath) watchFile(configPath, { interval: 500 }, (now, before) => now.mtimeMs !== before.mtimeMs && reload(`${configPath} changed`));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (configPath) unwatchFile(configPath);
    logger.info(`${signal} received: storing accepted spans, then exiting`);
    server.stop().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ err: error }, `ducktrace: error while stopping: ${error.message}`);
        process.exit(1);
      },
    );
  };
  onSignal = (signal) => (signal === 'SIGHUP' ? reload('SIGHUP') : stop(signal));
  for (const signal of pendingSignals) onSignal(signal);
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirectoryLockedError || error instanceof DamagedDatabaseError) {
    logger.fatal(`ducktrace: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    logger.fatal(`ducktrace: ${(error as Error).message}; another program uses that port (set DUCKTRACE_*_PORT, or 0 for a free port)`);
  } else {
    logger.fatal({ err: error }, `ducktrace: failed to start: ${(error as Error).message}`);
  }
  process.exit(1);
}
