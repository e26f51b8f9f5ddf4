/** What the service map shows of the dependency edges: nodes, edge labels and edge styles. Pure. */
import type { DependencyEdge } from '../api.js';
import { formatCount, formatDuration, formatPercent } from './format.js';

export interface MapNode {
  id: string;
  /** Known only from its callers' CLIENT spans (a database, a third party): it has no overview. */
  isPeer: boolean;
}

/** Every service and peer the edges name, in name order. A name that ever calls is a service. */
export function mapNodes(edges: DependencyEdge[]): MapNode[] {
  const peer = new Map<string, boolean>();
  for (const edge of edges) {
    peer.set(edge.caller, false);
    peer.set(edge.callee, (peer.get(edge.callee) ?? true) && edge.calleeIsPeer);
  }
  return [...peer.entries()].map(([id, isPeer]) => ({ id, isPeer })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const edgeKey = (edge: Pick<DependencyEdge, 'caller' | 'callee'>): string => `${edge.caller}\u2192${edge.callee}`;

/** The two lines on an edge: traffic and errors, then latency. */
export function edgeLabel(edge: DependencyEdge): [string, string] {
  const calls = `${formatCount(edge.callCount)} ${edge.callCount === 1 ? 'call' : 'calls'}`;
  const errors = edge.errorRate > 0 ? ` · ${formatPercent(edge.errorRate)} err` : '';
  return [`${calls}${errors}`, `p50 ${formatDuration(edge.p50Ns)} · p99 ${formatDuration(edge.p99Ns)}`];
}

/** From this error rate an edge is drawn as failing, and from the lower one as worth a look. */
export const ERROR_RATE_FAILING = 0.05;
export const ERROR_RATE_WARNING = 0.01;

export type EdgeHealth = 'ok' | 'warning' | 'failing';

export function edgeHealth(errorRate: number): EdgeHealth {
  if (errorRate >= ERROR_RATE_FAILING) return 'failing';
  if (errorRate >= ERROR_RATE_WARNING) return 'warning';
  return 'ok';
}

export const MIN_STROKE = 1.5;
export const MAX_STROKE = 6;

/** Stroke width on a log scale of the calls, so that a busy edge is thicker but a quiet one stays visible. */
export function edgeStroke(callCount: number, maxCallCount: number): number {
  if (maxCallCount <= 1 || callCount <= 1) return MIN_STROKE;
  const share = Math.log(callCount) / Math.log(maxCallCount);
  return Math.round((MIN_STROKE + Math.min(1, share) * (MAX_STROKE - MIN_STROKE)) * 10) / 10;
}

/**
 * The width of a text in pixels, estimated without a DOM (so the layout stays pure): average glyph
 * widths of a sans-serif face, generous for wide letters so that boxes never clip their text.
 */
export function textWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const char of text) {
    if ('il.,:;|!\'`·'.includes(char)) em += 0.3;
    else if ('fjrt() '.includes(char)) em += 0.38;
    else if ('mwMW@%'.includes(char)) em += 0.9;
    else if (char >= 'A' && char <= 'Z') em += 0.7;
    else em += 0.58;
  }
  return Math.ceil(em * fontPx);
}
