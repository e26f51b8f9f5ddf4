/** `npm start`: load the configuration, run the all-in-one server, stop cleanly on SIGTERM/SIGINT. */
import { startDucktrace } from './app.js';
import { ConfigError, describeSettings, loadConfig } from './core/config.js';
import { DataDirectoryLockedError } from './core/storage/duckdb/database.js';

if (process.argv.includes('--help')) {
  console.log('ducktrace: OTLP tracing backend on DuckDB. Settings (environment variable, default):');
  for (const s of describeSettings()) console.log(`  ${s.env.padEnd(40)} ${s.default}`);
  console.log('  DUCKTRACE_CONFIG                         (a YAML or JSON file with the same settings in camelCase)');
  process.exit(0);
}

try {
  const config = loadConfig();
  const server = await startDucktrace(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: storing accepted spans, then exiting`);
    server.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`ducktrace: error while stopping: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirectoryLockedError) {
    console.error(`ducktrace: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`ducktrace: ${(error as Error).message}; another program uses that port (set DUCKTRACE_*_PORT, or 0 for a free port)`);
  } else {
    console.error('ducktrace: failed to start:', error);
  }
  process.exit(1);
}
