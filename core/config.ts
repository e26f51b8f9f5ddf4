/**
 * The one validated configuration: defaults, then the config file (YAML or JSON), then DUCKTRACE_*
 * environment variables. Every setting `fooBar` has the variable DUCKTRACE_FOO_BAR and the file key fooBar.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';
import { DEFAULT_SPAN_LIMITS, type SpanLimits } from './otlp/limits.js';
import { hostPatternProblem, listSetting } from './security/hostPolicy.js';
import { splitTokenSetting, tokenProblem } from './security/tokens.js';

export interface Config extends SpanLimits {
  dataDir: string;
  host: string;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  httpPort: number;
  /** Largest OTLP request body, measured after decompression too. */
  maxBodyBytes: number;
  /** The writer commits a batch when this many spans wait, or after flushIntervalMs. */
  flushMaxSpans: number;
  flushIntervalMs: number;
  /** Spans accepted but not yet committed; beyond this, exports are refused with a retryable 503. */
  maxQueuedSpans: number;
  /** Every query API call and SQL statement is interrupted after this long. */
  queryTimeoutMs: number;
  /** The widest time range a query may cover. */
  maxQueryRangeHours: number;
  /** The largest `limit` a search accepts. */
  maxSearchLimit: number;
  /** Rows a SQL answer holds at most; more are cut and the answer says `truncated`. */
  sqlMaxRows: number;
  /** Bytes of rows (as JSON) a SQL answer holds at most; more are cut and the answer says `truncated`. */
  sqlMaxBytes: number;
  /** SQL statements are interrupted once DuckDB's memory in use passes this share of storageMemoryMb; the rest is kept for storage. */
  sqlMemoryPercent: number;
  /** Accepted requests go to the lz4 write-ahead log, fsync'd, before they are answered. */
  walEnabled: boolean;
  walSegmentBytes: number;
  /** Disk the write-ahead log may use; beyond it, exports are refused with a retryable 503. */
  walMaxBytes: number;
  /** Appends arriving within this window share one fsync. */
  walGroupCommitMs: number;
  /** The built web UI served at /; empty: ui/dist beside ducktrace. */
  uiDir: string;
  /** DuckDB's memory limit (buffer pool and query state). */
  storageMemoryMb: number;
  /** Batches written to DuckDB at once, each on its own connection. */
  writerConnections: number;
  /**
   * JavaScript memory (heap and buffers) past which new exports are refused with a retryable 429; lowered
   * to 75% of the heap limit (see DUCKTRACE_HEAP_MEMORY_MB) when that is smaller.
   */
  memoryLimitMb: number;
  /** Bearer tokens an OTLP export must carry, comma-separated; with none here or in writeTokensFile, exports need none. */
  writeTokens: string;
  /** A file of write tokens, one a line, re-read when it changes. */
  writeTokensFile: string;
  /** Bearer tokens the query API, the UI's data, SQL and /metrics need; as writeTokens. */
  readTokens: string;
  readTokensFile: string;
  /** PEM certificate chain and private key: all three listeners speak TLS only; re-read when the files change. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Origins (scheme://host[:port]) whose web pages may call the query API, comma-separated; empty: none. */
  corsOrigins: string;
  /** Host names the query API answers to besides localhost, IP addresses, `host` and the machine's name; `*`: any. */
  allowedHosts: string;
  /** Connections each listener holds open at most; more are closed at once. */
  maxConnections: number;
  /** A connection with no request in flight and no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** Log entries below this level are dropped. */
  logLevel: LogLevel;
  /** `json`: one JSON object a line; `text`: one readable line an entry. */
  logFormat: LogFormat;
}

/** The configuration with the file's `sampling` section, still unvalidated (the collector validates it). */
export interface LoadedConfig extends Config {
  sampling: unknown;
}

/**
 * When a changed value takes effect: `live` at a reload (SIGHUP or the config file changing), `restart`
 * only when the server starts again (a reload says so and keeps the value in force).
 */
export type Applies = 'live' | 'restart';

type Setting = { applies: Applies } & (
  | { type: 'string'; default: string }
  | { type: 'bool'; default: boolean }
  | { type: 'int'; default: number; min: number; max: number }
  | { type: 'enum'; default: string; values: readonly string[] }
);

const PORT = { type: 'int', min: 0, max: 65535 } as const;
const MIB = 1024 * 1024;

const SETTINGS: { [K in keyof Config]: Setting } = {
  dataDir: { type: 'string', default: './data', applies: 'restart' },
  host: { type: 'string', default: '127.0.0.1', applies: 'restart' },
  otlpHttpPort: { ...PORT, default: 4318, applies: 'restart' },
  otlpGrpcPort: { ...PORT, default: 4317, applies: 'restart' },
  httpPort: { ...PORT, default: 16686, applies: 'restart' },
  maxBodyBytes: { type: 'int', default: 64 * MIB, min: 1024, max: 1024 * MIB, applies: 'restart' },
  flushMaxSpans: { type: 'int', default: 20_000, min: 1, max: 1_000_000, applies: 'live' },
  flushIntervalMs: { type: 'int', default: 200, min: 1, max: 60_000, applies: 'live' },
  maxQueuedSpans: { type: 'int', default: 200_000, min: 1, max: 100_000_000, applies: 'live' },
  queryTimeoutMs: { type: 'int', default: 10_000, min: 10, max: 600_000, applies: 'live' },
  maxQueryRangeHours: { type: 'int', default: 24 * 7, min: 1, max: 24 * 3660, applies: 'live' },
  maxSearchLimit: { type: 'int', default: 1000, min: 1, max: 100_000, applies: 'live' },
  sqlMaxRows: { type: 'int', default: 10_000, min: 1, max: 1_000_000, applies: 'live' },
  sqlMaxBytes: { type: 'int', default: 16 * MIB, min: 1024, max: 1024 * MIB, applies: 'live' },
  sqlMemoryPercent: { type: 'int', default: 75, min: 10, max: 95, applies: 'restart' },
  walEnabled: { type: 'bool', default: true, applies: 'restart' },
  walSegmentBytes: { type: 'int', default: 64 * MIB, min: 64 * 1024, max: 1024 * MIB, applies: 'live' },
  walMaxBytes: { type: 'int', default: 1024 * MIB, min: 64 * 1024, max: 1024 * 1024 * MIB, applies: 'live' },
  walGroupCommitMs: { type: 'int', default: 2, min: 0, max: 1000, applies: 'live' },
  uiDir: { type: 'string', default: '', applies: 'restart' },
  storageMemoryMb: { type: 'int', default: 1024, min: 128, max: 1024 * 1024, applies: 'restart' },
  writerConnections: { type: 'int', default: 4, min: 1, max: 32, applies: 'restart' },
  memoryLimitMb: { type: 'int', default: 1536, min: 64, max: 1024 * 1024, applies: 'restart' },
  writeTokens: { type: 'string', default: '', applies: 'live' },
  writeTokensFile: { type: 'string', default: '', applies: 'live' },
  readTokens: { type: 'string', default: '', applies: 'live' },
  readTokensFile: { type: 'string', default: '', applies: 'live' },
  tlsCertFile: { type: 'string', default: '', applies: 'restart' },
  tlsKeyFile: { type: 'string', default: '', applies: 'restart' },
  corsOrigins: { type: 'string', default: '', applies: 'live' },
  allowedHosts: { type: 'string', default: '', applies: 'live' },
  maxConnections: { type: 'int', default: 256, min: 1, max: 1_000_000, applies: 'restart' },
  idleTimeoutMs: { type: 'int', default: 60_000, min: 100, max: 3_600_000, applies: 'restart' },
  maxSpansPerRequest: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxSpansPerRequest, min: 1, max: 100_000_000, applies: 'live' },
  maxAttributes: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxAttributes, min: 1, max: 100_000, applies: 'live' },
  maxAttributeKeyLength: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxAttributeKeyLength, min: 1, max: 1 * MIB, applies: 'live' },
  maxAttributeValueLength: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxAttributeValueLength, min: 1, max: 16 * MIB, applies: 'live' },
  maxValueDepth: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxValueDepth, min: 1, max: 64, applies: 'live' },
  maxEventsPerSpan: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxEventsPerSpan, min: 0, max: 1_000_000, applies: 'live' },
  maxLinksPerSpan: { type: 'int', default: DEFAULT_SPAN_LIMITS.maxLinksPerSpan, min: 0, max: 1_000_000, applies: 'live' },
  logLevel: { type: 'enum', default: 'info', values: LOG_LEVELS, applies: 'live' },
  logFormat: { type: 'enum', default: 'json', values: LOG_FORMATS, applies: 'live' },
};

export class ConfigError extends Error {}

export function envName(key: string): string {
  return `DUCKTRACE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Sections of the config file that are not flat settings; their owners validate them. */
const SECTIONS = ['sampling'] as const;

/** Reads the file named by DUCKTRACE_CONFIG (if any) and the environment. Throws ConfigError naming the bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = env.DUCKTRACE_CONFIG;
  const file = path ? readConfigFile(path) : {};
  const config = { sampling: file.sampling } as Record<string, unknown>;
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[keyof Config, Setting]>) {
    const variable = envName(key);
    if (env[variable] !== undefined && env[variable] !== '') {
      config[key] = parseValue(setting, env[variable], variable);
    } else if (key in file) {
      config[key] = parseValue(setting, file[key], `${path}: ${key}`);
    } else config[key] = setting.default;
  }
  checkSecuritySettings(config as unknown as Config);
  return config as unknown as LoadedConfig;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a mapping of settings`);
  const unknown = Object.keys(parsed).filter((key) => !(key in SETTINGS) && !(SECTIONS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ConfigError(`config file ${path}: unknown setting ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...Object.keys(SETTINGS), ...SECTIONS].join(', ')}`);
  }
  return parsed as Record<string, unknown>;
}

function parseValue(setting: Setting, raw: unknown, where: string): string | number | boolean {
  if (setting.type === 'bool') {
    if (raw === true || raw === 'true' || raw === '1') return true;
    if (raw === false || raw === 'false' || raw === '0') return false;
    throw new ConfigError(`${where}=${JSON.stringify(raw)}: expected true or false`);
  }
  if (setting.type === 'string') {
    if (typeof raw !== 'string' || raw === '') throw new ConfigError(`${where}=${JSON.stringify(raw)}: expected a non-empty string`);
    return raw;
  }
  if (setting.type === 'enum') {
    if (typeof raw !== 'string' || !setting.values.includes(raw)) throw new ConfigError(`${where}=${JSON.stringify(raw)}: expected one of ${setting.values.join(', ')}`);
    return raw;
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
    throw new ConfigError(`${where}=${JSON.stringify(raw)}: expected a whole number from ${setting.min} to ${setting.max}`);
  }
  return value;
}

export function spanLimitsOf(config: Config): SpanLimits {
  return {
    // A request larger than the write queue could never be admitted, and would be retried for ever.
    maxSpansPerRequest: Math.min(config.maxSpansPerRequest, config.maxQueuedSpans),
    maxAttributes: config.maxAttributes,
    maxAttributeKeyLength: config.maxAttributeKeyLength,
    maxAttributeValueLength: config.maxAttributeValueLength,
    maxValueDepth: config.maxValueDepth,
    maxEventsPerSpan: config.maxEventsPerSpan,
    maxLinksPerSpan: config.maxLinksPerSpan,
  };
}

/** Settings with their variables and defaults, for the README and `--help`. */
export function describeSettings(): Array<{ key: string; env: string; default: string | number | boolean; applies: Applies }> {
  return Object.entries(SETTINGS).map(([key, setting]) => ({ key, env: envName(key), default: setting.default, applies: setting.applies }));
}

/** The settings whose value differs between the configuration in force and `next`, by when each takes effect. */
export function changedSettings(running: Config, next: Config): Record<Applies, Array<keyof Config>> {
  const changed: Record<Applies, Array<keyof Config>> = { live: [], restart: [] };
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[keyof Config, Setting]>) {
    if (running[key] !== next[key]) changed[setting.applies].push(key);
  }
  return changed;
}

/** Settings whose values are secrets: shown only as set or not. */
const SECRET_SETTINGS: ReadonlySet<keyof Config> = new Set(['writeTokens', 'readTokens']);

/** Every setting's value in force, secrets replaced by whether they are set. */
export function settingsInForce(config: Config): Record<string, string | number | boolean> {
  return Object.fromEntries(
    (Object.keys(SETTINGS) as Array<keyof Config>).map((key) => [key, SECRET_SETTINGS.has(key) ? (config[key] === '' ? '' : '(set)') : config[key]]),
  );
}

/** The token, TLS, origin and host settings, checked together; throws ConfigError naming the setting. */
function checkSecuritySettings(config: Config): void {
  for (const key of ['writeTokens', 'readTokens'] as const) {
    splitTokenSetting(config[key]).forEach((token, index) => {
      const problem = tokenProblem(token);
      if (problem) throw new ConfigError(`${envName(key)}: token ${index + 1}: ${problem}`);
    });
  }
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) {
    throw new ConfigError(`${envName('tlsCertFile')} and ${envName('tlsKeyFile')} go together: set both for TLS, or neither`);
  }
  for (const origin of listSetting(config.corsOrigins)) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`${envName('corsOrigins')}: "${origin}" is not an origin such as https://grafana.example.com or http://localhost:3000 (scheme, host and port only, no path or trailing slash)`);
    }
  }
  for (const pattern of listSetting(config.allowedHosts)) {
    const problem = hostPatternProblem(pattern);
    if (problem) throw new ConfigError(`${envName('allowedHosts')}: "${pattern}" ${problem}`);
  }
}
