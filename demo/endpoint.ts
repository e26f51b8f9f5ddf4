/**
 * Where the demo sends its spans: the --endpoint flag, else OTEL_EXPORTER_OTLP_ENDPOINT as an SDK
 * would, else the ducktrace server that the same DUCKTRACE_HOST and DUCKTRACE_OTLP_HTTP_PORT started.
 */
export const DEFAULT_OTLP_HTTP_PORT = 4318;

export function demoEndpoint(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag !== undefined) return flag;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const port = env.DUCKTRACE_OTLP_HTTP_PORT || String(DEFAULT_OTLP_HTTP_PORT);
  return `http://${connectHost(env.DUCKTRACE_HOST)}:${port}`;
}

/** A bind address as an address to connect to: the wildcards mean this machine. */
function connectHost(bind: string | undefined): string {
  if (!bind || bind === '0.0.0.0') return bind ? '127.0.0.1' : 'localhost';
  if (bind === '::') return '[::1]';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}
