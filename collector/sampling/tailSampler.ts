/**
 * Tail sampling: holds spans per trace until a decision is due, then decides the whole trace with the
 * configured policies (combine.ts). Pure logic: time comes in as `nowMs` (a monotonic clock is best; a
 * `nowMs` earlier than one seen before is treated as that later time).
 *
 * - A decision is due `decisionWaitMs` after the trace's LAST span arrived, or `quietAfterRootMs` after it
 *   once the root span (parentSpanId '') has arrived (the root usually ends last, so a quiet period after it
 *   suggests the trace is complete).
 * - Bounds: adding a new trace beyond `maxTraces`, or spans beyond `maxSpans` in all, decides the OLDEST
 *   pending traces (by first arrival) early; their decisions are returned by `add` with `early: true` and
 *   counted. A trace's spans beyond `maxSpansPerTrace` are dropped and counted (`droppedSpans`); their tag
 *   is still reported with the trace.
 * - After a decision, the trace's id, keep flag, policy and probability stay in an LRU cache of
 *   `decisionCacheSize` entries. Spans arriving later follow it: `add` returns them at once as a decision
 *   with `late: true` (kept: weighted like the trace; dropped: `keep: false`, spans to discard). A trace no
 *   longer in the cache starts a new pending trace.
 * - Every decision reports the set of tags its spans came with, dropped traces and late spans included,
 *   so the caller can release write-ahead-log records: a record holding spans of several traces is free
 *   once every trace it holds has been decided (the caller counts references).
 *
 * Ownership: `add` takes the rows; on keep their `sampleWeight` is multiplied by 1 / probability and
 * `samplingPolicy` set to the policy's name, in place; the same objects are returned in the decision.
 */
import type { SpanRow } from '../../core/model/span.js';
import { decideTrace } from './combine.js';
import { traceView, type SamplingPolicy } from './policies/policy.js';

export interface TailSamplerOptions {
  /** Top-level policies in order (see buildPolicies in samplingConfig.ts). */
  policies: readonly SamplingPolicy[];
  decisionWaitMs?: number;
  quietAfterRootMs?: number;
  maxTraces?: number;
  maxSpans?: number;
  maxSpansPerTrace?: number;
  decisionCacheSize?: number;
}

export const TAIL_DEFAULTS = {
  decisionWaitMs: 10_000,
  quietAfterRootMs: 2_000,
  maxTraces: 50_000,
  maxSpans: 1_000_000,
  maxSpansPerTrace: 10_000,
  decisionCacheSize: 100_000,
} as const;

export interface Decision<T> {
  traceId: string;
  keep: boolean;
  /** The name of the policy that kept the trace; null when dropped. */
  policy: string | null;
  /** The tail keep probability used for the weights (the trace's chance, when dropped). */
  probability: number;
  /** Kept: the spans to store, weights multiplied by 1 / probability. Dropped: the spans to discard. */
  spans: SpanRow[];
  tags: Set<T>;
  /** Decided before due, because a memory bound was reached. */
  early: boolean;
  /** Spans that arrived after their trace was decided, following the cached decision. */
  late: boolean;
}

export interface TailSamplerCounters {
  /** Traces kept, by policy name. */
  tracesKept: Map<string, number>;
  tracesDropped: number;
  spansKept: number;
  spansDropped: number;
  /** Decisions made before due because maxTraces or maxSpans was reached. */
  earlyDecisions: number;
  /** Spans that arrived after their trace's decision, which they followed. */
  lateSpansKept: number;
  lateSpansDropped: number;
  /** Spans beyond maxSpansPerTrace, dropped undecided. */
  droppedSpans: number;
}

interface Pending<T> {
  traceId: string;
  spans: SpanRow[];
  tags: Set<T>;
  lastArrivalMs: number;
  hasRoot: boolean;
}

interface Cached {
  keep: boolean;
  policy: string | null;
  probability: number;
}

export class TailSampler<T> {
  readonly counters: TailSamplerCounters = {
    tracesKept: new Map(),
    tracesDropped: 0,
    spansKept: 0,
    spansDropped: 0,
    earlyDecisions: 0,
    lateSpansKept: 0,
    lateSpansDropped: 0,
    droppedSpans: 0,
  };
  private policies!: readonly SamplingPolicy[];
  private decisionWaitMs!: number;
  private quietAfterRootMs!: number;
  private maxTraces!: number;
  private maxSpans!: number;
  private maxSpansPerTrace!: number;
  private decisionCacheSize!: number;
  /** Pending traces in first-arrival order (eviction order). */
  private readonly pending = new Map<string, Pending<T>>();
  /** Pending traces without / with their root, each in last-arrival order, so in due order. */
  private readonly waiting = new Map<string, Pending<T>>();
  private readonly rooted = new Map<string, Pending<T>>();
  private readonly cache = new Map<string, Cached>();
  private spanCount = 0;
  private now = -Infinity;

  constructor(options: TailSamplerOptions) {
    this.reconfigure(options);
  }

  /**
   * New policies and bounds (a configuration reload). Pending traces stay and are decided by the new
   * policies when due; lowering the bounds decides the oldest early at the next add.
   */
  reconfigure(options: TailSamplerOptions): void {
    this.policies = options.policies;
    this.decisionWaitMs = options.decisionWaitMs ?? TAIL_DEFAULTS.decisionWaitMs;
    this.quietAfterRootMs = Math.min(options.quietAfterRootMs ?? TAIL_DEFAULTS.quietAfterRootMs, this.decisionWaitMs);
    this.maxTraces = Math.max(1, options.maxTraces ?? TAIL_DEFAULTS.maxTraces);
    this.maxSpans = Math.max(1, options.maxSpans ?? TAIL_DEFAULTS.maxSpans);
    this.maxSpansPerTrace = Math.max(1, options.maxSpansPerTrace ?? TAIL_DEFAULTS.maxSpansPerTrace);
    this.decisionCacheSize = Math.max(0, options.decisionCacheSize ?? TAIL_DEFAULTS.decisionCacheSize);
  }

  get tracesPending(): number {
    return this.pending.size;
  }

  get spansPending(): number {
    return this.spanCount;
  }

  /**
   * Takes rows (any traces, any order) that arrived together under `tag`. Returns the decisions this
   * caused at once: late spans of already decided traces, and traces decided early to respect the bounds.
   */
  add(rows: readonly SpanRow[], tag: T, nowMs: number): Decision<T>[] {
    const now = this.tick(nowMs);
    const out: Decision<T>[] = [];
    for (const [traceId, spans] of groupByTrace(rows)) {
      const cached = this.cache.get(traceId);
      if (cached !== undefined) {
        this.cache.delete(traceId);
        this.cache.set(traceId, cached);
        out.push(this.late(traceId, spans, tag, cached));
        continue;
      }
      let trace = this.pending.get(traceId);
      if (trace === undefined) {
        while (this.pending.size >= this.maxTraces) out.push(this.decideOldest(now));
        trace = { traceId, spans: [], tags: new Set(), lastArrivalMs: now, hasRoot: false };
        this.pending.set(traceId, trace);
      }
      trace.tags.add(tag);
      const room = this.maxSpansPerTrace - trace.spans.length;
      const taken = spans.length <= room ? spans : spans.slice(0, Math.max(0, room));
      this.counters.droppedSpans += spans.length - taken.length;
      for (const span of taken) {
        trace.spans.push(span);
        if (span.parentSpanId === '') trace.hasRoot = true;
      }
      this.spanCount += taken.length;
      trace.lastArrivalMs = now;
      this.waiting.delete(traceId);
      this.rooted.delete(traceId);
      (trace.hasRoot ? this.rooted : this.waiting).set(traceId, trace);
      while (this.spanCount > this.maxSpans && this.pending.size > 0) out.push(this.decideOldest(now));
    }
    return out;
  }

  /** The decisions due at `nowMs`. */
  poll(nowMs: number): Decision<T>[] {
    const now = this.tick(nowMs);
    const out: Decision<T>[] = [];
    for (const [queue, wait] of [[this.waiting, this.decisionWaitMs], [this.rooted, this.quietAfterRootMs]] as const) {
      for (const trace of queue.values()) {
        if (trace.lastArrivalMs + wait > now) break;
        out.push(this.decide(trace, now, false));
      }
    }
    return out;
  }

  /** Decides every pending trace now (e.g. at shutdown when no write-ahead log will replay them); early. */
  drain(nowMs: number): Decision<T>[] {
    const now = this.tick(nowMs);
    const out: Decision<T>[] = [];
    for (const trace of this.pending.values()) out.push(this.decide(trace, now, true));
    return out;
  }

  /** The time of the next due decision, or undefined when nothing is pending (for scheduling a poll). */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const [queue, wait] of [[this.waiting, this.decisionWaitMs], [this.rooted, this.quietAfterRootMs]] as const) {
      const first = queue.values().next();
      if (!first.done) due = Math.min(due ?? Infinity, first.value.lastArrivalMs + wait);
    }
    return due;
  }

  private tick(nowMs: number): number {
    if (nowMs > this.now) this.now = nowMs;
    return this.now;
  }

  private decideOldest(now: number): Decision<T> {
    const oldest = this.pending.values().next().value!;
    this.counters.earlyDecisions++;
    return this.decide(oldest, now, true);
  }

  private decide(trace: Pending<T>, now: number, early: boolean): Decision<T> {
    this.pending.delete(trace.traceId);
    this.waiting.delete(trace.traceId);
    this.rooted.delete(trace.traceId);
    this.spanCount -= trace.spans.length;
    const decision = decideTrace(this.policies, traceView(trace.traceId, trace.spans), now);
    if (this.decisionCacheSize > 0) {
      if (this.cache.size >= this.decisionCacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(trace.traceId, decision);
    }
    if (decision.keep) {
      weigh(trace.spans, decision);
      this.counters.tracesKept.set(decision.policy!, (this.counters.tracesKept.get(decision.policy!) ?? 0) + 1);
      this.counters.spansKept += trace.spans.length;
    } else {
      this.counters.tracesDropped++;
      this.counters.spansDropped += trace.spans.length;
    }
    return { traceId: trace.traceId, ...decision, spans: trace.spans, tags: trace.tags, early, late: false };
  }

  private late(traceId: string, spans: SpanRow[], tag: T, cached: Cached): Decision<T> {
    if (cached.keep) {
      weigh(spans, cached);
      this.counters.lateSpansKept += spans.length;
      this.counters.spansKept += spans.length;
    } else {
      this.counters.lateSpansDropped += spans.length;
      this.counters.spansDropped += spans.length;
    }
    return { traceId, keep: cached.keep, policy: cached.policy, probability: cached.probability, spans, tags: new Set([tag]), early: false, late: true };
  }
}

function weigh(spans: SpanRow[], decision: Cached): void {
  const factor = 1 / decision.probability;
  for (const span of spans) {
    span.sampleWeight *= factor;
    span.samplingPolicy = decision.policy ?? '';
  }
}

function groupByTrace(rows: readonly SpanRow[]): Map<string, SpanRow[]> {
  const groups = new Map<string, SpanRow[]>();
  for (const row of rows) {
    const group = groups.get(row.traceId);
    if (group === undefined) groups.set(row.traceId, [row]);
    else group.push(row);
  }
  return groups;
}
