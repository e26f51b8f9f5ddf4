/**
 * The server's one logger (pino). Each entry is a JSON line on stdout, `{"level":"info","time":"<ISO>",
 * "msg":"...", ...fields}`, or with logFormat `text` one readable line, "<time> INFO  <msg> key=value".
 * Components log through it or a child of it (which adds fields such as `component`).
 */
import pino, { type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type Logger = PinoLogger;

export interface LogMethod {
  (msg: string): void;
  (fields: Record<string, unknown>, msg: string): void;
}

/** What a component logs through: the logger, a child of it, or a test's stand-in. */
export interface Log {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Whatever an entry carries, credentials never reach the log. */
const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];

/** A logger writing each entry as one JSON line to `write`, dropping entries below `level`. */
export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  return pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    { write },
  );
}

const TEXT_OWN_FIELDS = new Set(['level', 'time', 'msg']);

/** One JSON entry as "<time> <LEVEL> <msg> key=value...", on one line whatever the message holds. */
export function textLine(jsonLine: string): string {
  const entry = JSON.parse(jsonLine) as Record<string, unknown>;
  let line = `${String(entry.time)} ${String(entry.level).toUpperCase().padEnd(5)} ${oneLine(String(entry.msg ?? ''))}`;
  for (const [key, value] of Object.entries(entry)) {
    if (!TEXT_OWN_FIELDS.has(key) && value !== undefined) line += ` ${key}=${textValue(value)}`;
  }
  return `${line}\n`;
}

function textValue(value: unknown): string {
  // An error's stack says the most; quoted, it stays on the entry's line.
  const shown = typeof value === 'object' && value !== null && typeof (value as { stack?: unknown }).stack === 'string' ? (value as { stack: string }).stack : value;
  return typeof shown === 'string' && /^[^\s"=\\\p{Cc}]+$/u.test(shown) ? shown : oneLine(JSON.stringify(shown));
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Control characters escaped, so that no message can start a line of its own. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let stdout: ReturnType<typeof pino.destination> | null = null;
let text = false;

/** The process's logger: JSON at info until `configureLogging` applies the settings. */
export const logger: Logger = createLogger('info', (line) => {
  // Synchronous, so that a fatal entry is out before the process exits; opened at the first entry.
  stdout ??= pino.destination({ dest: 1, sync: true });
  stdout.write(text ? textLine(line) : line);
});

/** Applies logLevel and logFormat to `logger` and every child of it, at start and at a reload. */
export function configureLogging(settings: { logLevel: LogLevel; logFormat: LogFormat }): void {
  logger.level = settings.logLevel;
  text = settings.logFormat === 'text';
}
