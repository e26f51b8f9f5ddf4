/**
 * The service dependency graph, built as spans arrive instead of by joining every span with its
 * parent at query time (which took past 10 s at 10M spans): the way Tempo's service graph works.
 *
 * A call caller → callee is a span whose parent is on another service (latency and status the
 * callee span's), or a CLIENT span that names the peer it called (peer.service, else db.system.name,
 * else db.system, else server.address) and has no child on another service: an uninstrumented
 * database or third party (latency and status the client span's).
 *
 * `CallPairing` pairs spans with their parents across write batches, holding recent spans for a
 * window of ingest time; `CallHistogram` sums calls per minute, edge and duration bucket, the rows
 * of the service_calls table. No I/O here.
 */
import { SPAN_KIND_CLIENT, STATUS_CODE_ERROR, type SpanRow } from '../model/span.js';

/** The attributes that name a client span's peer, in order of preference. */
export const PEER_ATTRIBUTES = ['peer.service', 'db.system.name', 'db.system', 'server.address'] as const;

/** The peer a CLIENT span names, or null (an empty name counts as none). */
export function peerOf(span: SpanRow): string | null {
  if (span.kind !== SPAN_KIND_CLIENT) return null;
  const { keys, values } = span.attributes;
  for (const name of PEER_ATTRIBUTES) {
    const i = keys.indexOf(name);
    if (i >= 0 && values[i] !== '') return values[i]!;
  }
  return null;
}

export interface Call {
  caller: string;
  callee: string;
  calleeIsPeer: boolean;
  startNs: bigint;
  durationNs: bigint;
  /** The callee span's sampling weight; negative when it withdraws a peer call counted earlier. */
  weight: number;
  error: boolean;
}

/** What pairing needs of a span; the span itself is not held, so its attributes and events are not kept alive. */
interface SpanEnd {
  service: string;
  startNs: bigint;
  durationNs: bigint;
  weight: number;
  error: boolean;
}

const spanEnd = (span: SpanRow): SpanEnd => ({
  service: span.serviceName,
  startNs: span.startTimeUnixNano,
  durationNs: span.durationNs,
  weight: span.sampleWeight,
  error: span.statusCode === STATUS_CODE_ERROR,
});

interface SeenSpan {
  end: SpanEnd;
  peer: string | null;
  /** Whether a child on another service has been seen. */
  calledService: boolean;
  /** Whether its call to `peer` is counted (and must be withdrawn if an instrumented child turns up). */
  peerCounted: boolean;
}

/** Maps are keyed by trace id and span id together: span ids are unique only within a trace. */
interface Generation {
  seen: Map<string, SeenSpan>;
  /** Spans whose parent has not been seen, by the parent's key. */
  orphans: Map<string, SpanEnd[]>;
}

const newGeneration = (): Generation => ({ seen: new Map(), orphans: new Map() });

export interface CallPairingOptions {
  /** How long (ingest time) a span waits for its parent or children: spans are kept between one and two windows. */
  windowMs: number;
  /** Spans held per generation at most; a full generation is retired early, so memory stays bounded under any load. */
  maxSpans: number;
}

/** As Tempo's service graph waits 10 s for a pair; about 150 bytes a span held. */
export const DEFAULT_CALL_PAIRING: CallPairingOptions = { windowMs: 10_000, maxSpans: 300_000 };

/**
 * Pairs spans with their parents as batches arrive, in any order. Spans are held in two generations
 * that rotate every window, so expiry costs nothing per span. A peer call is counted as soon as its
 * client span arrives and withdrawn (a call of negative weight) if an instrumented child arrives
 * later, so the graph is right at every moment.
 */
export class CallPairing {
  private current = newGeneration();
  private previous = newGeneration();
  private rotatedAt: number;

  constructor(
    private readonly options: CallPairingOptions = DEFAULT_CALL_PAIRING,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  /** Spans held now, for the memory bound. */
  get heldSpans(): number {
    return this.current.seen.size + this.previous.seen.size + this.current.orphans.size + this.previous.orphans.size;
  }

  add(spans: readonly SpanRow[]): Call[] {
    this.rotateIfDue(spans.length);
    const calls: Call[] = [];
    const added: SeenSpan[] = [];
    for (const span of spans) {
      const seen: SeenSpan = { end: spanEnd(span), peer: peerOf(span), calledService: false, peerCounted: false };
      const key = span.traceId + span.spanId;
      this.current.seen.set(key, seen);
      added.push(seen);
      for (const child of this.takeOrphans(key)) this.pair(seen, child, calls);
    }
    spans.forEach((span, i) => {
      if (span.parentSpanId === '') return;
      const parentKey = span.traceId + span.parentSpanId;
      const parent = this.current.seen.get(parentKey) ?? this.previous.seen.get(parentKey);
      if (parent) this.pair(parent, added[i]!.end, calls);
      else {
        const waiting = this.current.orphans.get(parentKey);
        if (waiting) waiting.push(added[i]!.end);
        else this.current.orphans.set(parentKey, [added[i]!.end]);
      }
    });
    for (const seen of added) {
      if (seen.peer === null || seen.calledService || seen.peer === seen.end.service) continue;
      seen.peerCounted = true;
      calls.push(peerCall(seen, 1));
    }
    return calls;
  }

  private pair(parent: SeenSpan, child: SpanEnd, calls: Call[]): void {
    if (parent.end.service === child.service) return;
    parent.calledService = true;
    calls.push({ caller: parent.end.service, callee: child.service, calleeIsPeer: false, startNs: child.startNs, durationNs: child.durationNs, weight: child.weight, error: child.error });
    if (parent.peerCounted) {
      parent.peerCounted = false;
      calls.push(peerCall(parent, -1));
    }
  }

  /** The children waiting for the span with this key, removed from waiting. */
  private takeOrphans(key: string): SpanEnd[] {
    const found: SpanEnd[] = [];
    for (const generation of [this.current, this.previous]) {
      const waiting = generation.orphans.get(key);
      if (!waiting) continue;
      found.push(...waiting);
      generation.orphans.delete(key);
    }
    return found;
  }

  private rotateIfDue(incoming: number): void {
    const now = this.now();
    const full = this.current.seen.size + this.current.orphans.size + incoming > this.options.maxSpans;
    if (now - this.rotatedAt < this.options.windowMs && !full) return;
    this.previous = this.current;
    this.current = newGeneration();
    this.rotatedAt = now;
  }
}

function peerCall(seen: SeenSpan, sign: 1 | -1): Call {
  const { end } = seen;
  return { caller: end.service, callee: seen.peer!, calleeIsPeer: true, startNs: end.startNs, durationNs: end.durationNs, weight: sign * end.weight, error: end.error };
}

/**
 * Durations are summed in buckets growing by 5%: bucket b holds (γ^(b-1), γ^b] ns. A percentile is
 * read as the weighted mean duration of the bucket it falls in, so it is within 5% of the exact one
 * (and exact when the bucket holds one distinct duration), as in DDSketch. Finer buckets cost rows:
 * at 2% a minute of the bench's 400 edges took as many rows as it had calls.
 */
export const DURATION_BUCKET_GROWTH = 1.05;
const LOG_GROWTH = Math.log(DURATION_BUCKET_GROWTH);

/** The same formula as the migration's SQL, so that rows written and rows rebuilt agree. */
export function durationBucket(durationNs: bigint): number {
  return durationNs <= 0n ? 0 : Math.ceil(Math.log(Number(durationNs)) / LOG_GROWTH);
}

export const MINUTE_NS = 60_000_000_000n;

/** The minute a time falls in, counted from the epoch (rounded down, before it too). */
export function minuteOf(ns: bigint): bigint {
  return ns / MINUTE_NS - (ns < 0n && ns % MINUTE_NS !== 0n ? 1n : 0n);
}

/** The start, in ns since the epoch, of the minute a time falls in. */
export function minuteStartNs(ns: bigint): bigint {
  return minuteOf(ns) * MINUTE_NS;
}
/** Above any bucket of a duration that fits in a BIGINT (log(2^63) / log(1.05) < 900). */
const BUCKETS_PER_MINUTE = 1024;

/** One service_calls row: the calls of an edge in one minute (by the callee span's start) and one duration bucket. */
export interface CallBucket {
  minuteNs: bigint;
  caller: string;
  callee: string;
  calleeIsPeer: boolean;
  durationBucket: number;
  /** Weighted calls. */
  calls: number;
  /** Weighted failed calls. */
  errors: number;
  /** Sum of weight × duration (ns), for the bucket's mean. */
  durationSum: number;
}

/**
 * Sums calls into buckets; `take` empties it. Rows are found by edge, then by minute and bucket
 * together as one number, so adding a call builds no key string.
 */
export class CallHistogram {
  /** caller → callee (peers prefixed with NUL, which no service name holds) → minute × bucket → row. */
  private edges = new Map<string, Map<string, Map<number, CallBucket>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(calls: readonly Call[]): void {
    for (const call of calls) {
      const row = this.row(call.caller, call.callee, call.calleeIsPeer, minuteOf(call.startNs), durationBucket(call.durationNs));
      row.calls += call.weight;
      if (call.error) row.errors += call.weight;
      row.durationSum += call.weight * Number(call.durationNs);
    }
  }

  /** Adds rows back (sums whose write failed). */
  merge(rows: readonly CallBucket[]): void {
    for (const r of rows) {
      const row = this.row(r.caller, r.callee, r.calleeIsPeer, r.minuteNs / MINUTE_NS, r.durationBucket);
      row.calls += r.calls;
      row.errors += r.errors;
      row.durationSum += r.durationSum;
    }
  }

  /** The rows, without emptying. */
  rows(): CallBucket[] {
    const rows: CallBucket[] = [];
    for (const callees of this.edges.values()) for (const buckets of callees.values()) rows.push(...buckets.values());
    return rows;
  }

  take(): CallBucket[] {
    const rows = this.rows();
    this.edges = new Map();
    this.count = 0;
    return rows;
  }

  private row(caller: string, callee: string, calleeIsPeer: boolean, minute: bigint, bucket: number): CallBucket {
    let callees = this.edges.get(caller);
    if (!callees) this.edges.set(caller, (callees = new Map()));
    const calleeKey = calleeIsPeer ? `\u0000${callee}` : callee;
    let buckets = callees.get(calleeKey);
    if (!buckets) callees.set(calleeKey, (buckets = new Map()));
    const key = Number(minute) * BUCKETS_PER_MINUTE + bucket;
    let row = buckets.get(key);
    if (!row) {
      row = { minuteNs: minute * MINUTE_NS, caller, callee, calleeIsPeer, durationBucket: bucket, calls: 0, errors: 0, durationSum: 0 };
      buckets.set(key, row);
      this.count++;
    }
    return row;
  }
}
