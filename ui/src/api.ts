/**
 * The native query API, typed with the server's own result types. Every call takes an AbortSignal so
 * that a view dropping a request (new filters, navigation) cancels it.
 */
import type { CallTree } from '../../query/services/callTree.js';
import type { Operation } from '../../query/services/catalog.js';
import type { DependencyEdge } from '../../query/services/dependencies.js';
import type { LatencyResult } from '../../query/services/latency.js';
import type { SearchResult } from '../../query/services/search.js';

export type { CallTree, SpanNode } from '../../query/services/callTree.js';
export type { TypedAttribute } from '../../core/otlp/anyValue.js';
export type { DependencyEdge, LatencyResult, Operation, SearchResult };
export type { TraceSummary } from '../../query/services/search.js';
export type { RedFigures } from '../../query/services/latency.js';

/** An error answer of the API: its code and message, as the server wrote them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | string[] | undefined>;

function queryString(params: Params): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, item);
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The read token the user gave, sent as `Authorization: Bearer` with every call. Kept in
 * sessionStorage: it lasts while the tab is open (reloads and links opened from it included) and is
 * gone when the tab closes, so a shared machine does not keep a token that reads every trace.
 */
const READ_TOKEN_KEY = 'ducktrace.readToken';

/** The token for this page when sessionStorage refuses to keep it (a private mode). */
let memoryToken: string | null = null;

function readToken(): string | null {
  try {
    return sessionStorage.getItem(READ_TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export function setReadToken(token: string): void {
  memoryToken = token;
  try {
    sessionStorage.setItem(READ_TOKEN_KEY, token);
  } catch {
    // Kept in memory for this page only.
  }
}

/** Told when a call was refused for want of a read token; `refused` when the token sent was the wrong one. */
type TokenNeededListener = (refused: boolean) => void;
const tokenNeededListeners = new Set<TokenNeededListener>();

export function onReadTokenNeeded(listener: TokenNeededListener): () => void {
  tokenNeededListeners.add(listener);
  return () => tokenNeededListeners.delete(listener);
}

async function request<T>(path: string, init: RequestInit): Promise<T> {
  const token = readToken();
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'unreachable', `cannot reach the ducktrace server (${(error as Error).message})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'bad_response', `the server answered ${response.status} with something that is not JSON`);
  }
  if (response.status === 401) for (const listener of tokenNeededListeners) listener(token !== null);
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `the server answered ${response.status}`);
  }
  return body as T;
}

export function apiGet<T>(path: string, params: Params, signal?: AbortSignal): Promise<T> {
  return request<T>(`${path}${queryString(params)}`, { signal: signal ?? null });
}

export const api = {
  trace: (traceId: string, signal?: AbortSignal) => apiGet<CallTree>(`/api/v1/traces/${encodeURIComponent(traceId)}`, {}, signal),
  search: (params: Params, signal?: AbortSignal) => apiGet<SearchResult>('/api/v1/traces', params, signal),
  services: (params: Params, signal?: AbortSignal) => apiGet<{ services: string[] }>('/api/v1/services', params, signal),
  operations: (service: string, signal?: AbortSignal) =>
    apiGet<{ operations: Operation[] }>(`/api/v1/services/${encodeURIComponent(service)}/operations`, {}, signal),
  latency: (params: Params, signal?: AbortSignal) => apiGet<LatencyResult>('/api/v1/latency', params, signal),
  dependencies: (params: Params, signal?: AbortSignal) => apiGet<{ edges: DependencyEdge[] }>('/api/v1/dependencies', params, signal),
  sql: (sql: string, signal?: AbortSignal) =>
    request<SqlResult>('/api/v1/sql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }), signal: signal ?? null }),
};

export interface SqlResult {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}
