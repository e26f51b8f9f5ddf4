/**
 * What happens to spans after they are accepted: head sampling before the write-ahead log, then
 * (when enabled) the tail sampler's decisions, commits of kept spans, and the release of write-ahead
 * log records once every trace in them is decided and committed. Spans replayed from the log after a
 * crash go through the same path, skipping spans that storage already holds or that another replayed
 * record (a client's retry of an export it saw no answer to) has committed. A commit that failed is
 * retried once storage can write again, without the spans storage turns out to hold: a commit can fail
 * after DuckDB made it durable.
 */
import type { Log } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { SpanRow } from '../../core/model/span.js';
import { spanKey, type TraceReader } from '../../core/storage/types.js';
import { HeadSampler } from '../sampling/headSampler.js';
import { headSamplerConfigOf, tailSamplerOptionsOf, type SamplingConfig } from '../sampling/samplingConfig.js';
import { TailSampler, type Decision } from '../sampling/tailSampler.js';
import type { RecoveredRecord, WriteAheadLog } from '../wal/writeAheadLog.js';
import type { SpanBatcher } from './spanBatcher.js';

/** How often due tail decisions are taken. */
const POLL_MS = 200;
/** Wait, on average, before committing again spans whose commit failed (they are still in the write-ahead log). */
const RETRY_MS = 1000;
/** Spans head-sampled between two yields to the event loop. */
const HEAD_SAMPLE_SLICE = 8192;
/** Traces whose stored spans one replay lookup asks storage for. */
const REPLAY_LOOKUP_TRACES = 256;

type Tag = bigint | null;

export class SamplingStage {
  private head: HeadSampler;
  private tail: TailSampler<Tag> | null;
  /** Write-ahead log record → traces in it not yet decided and committed. */
  private readonly recordRefs = new Map<bigint, number>();
  /** Records up to this id were replayed from the log: their spans may already be stored. */
  private replayedUpTo = -1n;
  /**
   * Keys of replayed spans that storage held when the replay began, or that a replayed commit has
   * claimed since; a replayed span is committed only by the commit that claims it. Dropped once every
   * replayed record is released.
   */
  private replayClaimed: Set<string> | null = null;
  private replayedOutstanding = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private signalStop!: () => void;
  /** Resolves when the stage stops: commits waiting for storage give up waiting then. */
  private readonly stopping = new Promise<void>((resolve) => (this.signalStop = resolve));
  private readonly count: {
    head: (n: number, labels: Record<string, string>) => void;
    traces: (n: number, labels: Record<string, string>) => void;
    spans: (n: number, labels: Record<string, string>) => void;
    early: (n?: number) => void;
    late: (n: number, labels: Record<string, string>) => void;
    storedBefore: (n: number) => void;
  };

  constructor(
    config: SamplingConfig,
    private readonly batcher: SpanBatcher,
    private readonly wal: WriteAheadLog | null,
    private readonly reader: TraceReader,
    metrics: Metrics,
    private readonly log: Log,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.head = new HeadSampler(headSamplerConfigOf(config));
    this.tail = config.tail.enabled ? new TailSampler(tailSamplerOptionsOf(config)) : null;
    this.count = {
      head: metrics.counter('ducktrace_head_sampling_spans_total', 'Spans kept or dropped by head sampling.'),
      traces: metrics.counter('ducktrace_tail_sampling_traces_total', 'Traces kept (by policy) or dropped by tail sampling.'),
      spans: metrics.counter('ducktrace_tail_sampling_spans_total', 'Spans kept or dropped by tail sampling.'),
      early: metrics.counter('ducktrace_tail_sampling_early_decisions_total', 'Traces decided before due because the sampler was full.'),
      late: metrics.counter('ducktrace_tail_sampling_late_spans_total', 'Spans that arrived after their trace was decided, and followed the decision.'),
      // The batcher counts what it commits; a retry counts the spans a commit that reported failure had stored.
      storedBefore: metrics.counter('ducktrace_spans_stored_total', 'Spans committed to storage.'),
    };
    metrics.gauge('ducktrace_tail_sampling_traces_pending', 'Traces held by the tail sampler, waiting for a decision.', () => this.tail?.tracesPending ?? 0);
    metrics.gauge('ducktrace_tail_sampling_spans_pending', 'Spans held by the tail sampler, waiting for a decision.', () => this.tail?.spansPending ?? 0);
  }

  /**
   * Head sampling: the rows to accept, weights set. Rows dropped here were never going to be stored. A
   * request of many spans is sampled a slice at a time, so that other requests run in between.
   */
  async headSample(rows: SpanRow[]): Promise<SpanRow[]> {
    const kept: SpanRow[] = [];
    for (let start = 0; start < rows.length; start += HEAD_SAMPLE_SLICE) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const result = this.head.sample(rows.slice(start, start + HEAD_SAMPLE_SLICE));
      if (result.keptCount > 0) this.count.head(result.keptCount, { decision: 'kept' });
      if (result.droppedCount > 0) this.count.head(result.droppedCount, { decision: 'dropped' });
      for (const row of result.kept) kept.push(row);
    }
    return kept;
  }

  /**
   * Takes accepted spans, written to the log as `record` (null without a log). Resolves once they are
   * committed when they go straight to storage; returns null when the tail sampler holds them.
   */
  accept(spans: SpanRow[], record: Tag): Promise<void> | null {
    if (record !== null) this.recordRefs.set(record, this.tail ? new Set(spans.map((s) => s.traceId)).size : 1);
    // Without a log, the client waits for this commit and is told if it fails, so it is not retried here.
    if (!this.tail) return this.commit(spans, [record], record !== null);
    this.handle(this.tail.add(spans, record, this.clock()));
    return null;
  }

  /**
   * Records the log kept from before a restart: pending traces go back to the tail sampler. Which of
   * their spans storage already holds is asked once for the whole replay, a bounded number of traces
   * at a time, so that a trace spread over many records is looked up once, not once per record.
   */
  async replay(records: RecoveredRecord[]): Promise<void> {
    const replayedKeys = new Set<string>();
    for (const record of records) for (const span of record.spans) replayedKeys.add(spanKey(span.traceId, span.spanId));
    const traceIds = [...new Set(records.flatMap((record) => record.spans.map((span) => span.traceId)))];
    const claimed = new Set<string>();
    for (let i = 0; i < traceIds.length; i += REPLAY_LOOKUP_TRACES) {
      const stored = await this.retrying('looking up the replayed spans already stored', () => this.reader.storedSpanKeys(traceIds.slice(i, i + REPLAY_LOOKUP_TRACES)));
      for (const key of stored) if (replayedKeys.has(key)) claimed.add(key);
    }
    this.replayClaimed = claimed;
    this.replayedOutstanding = records.length;
    for (const record of records) {
      if (record.id > this.replayedUpTo) this.replayedUpTo = record.id;
      void this.accept(record.spans, record.id);
    }
  }

  /** `task`, tried again after a spread-out pause for as long as it fails and the stage runs. */
  private async retrying<T>(what: string, task: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await task();
      } catch (error) {
        if (this.stopped) throw error;
        const delayMs = Math.round(RETRY_MS * (0.5 + Math.random()));
        this.log.warn(`ducktrace: ${what} failed (${(error as Error).message}); retrying in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** A configuration reload: new head ratios and tail policies; traces in flight are kept. */
  reconfigure(config: SamplingConfig): void {
    this.head = new HeadSampler(headSamplerConfigOf(config));
    if (config.tail.enabled) {
      if (this.tail) this.tail.reconfigure(tailSamplerOptionsOf(config));
      else this.tail = new TailSampler(tailSamplerOptionsOf(config));
    } else if (this.tail) {
      // Tail sampling switched off: decide what it holds now, by the policies it was given.
      this.handle(this.tail.drain(this.clock()));
      this.tail = null;
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.tail) this.handle(this.tail.poll(this.clock()));
    }, POLL_MS);
  }

  /**
   * Stops taking decisions and waits for the commits under way. With a log, traces still pending stay
   * in it and are replayed at the next start; without one they are decided now.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    if (this.timer) clearInterval(this.timer);
    if (this.tail && !this.wal) this.handle(this.tail.drain(this.clock()));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private handle(decisions: Decision<Tag>[]): void {
    for (const decision of decisions) {
      const decisionLabel = decision.keep ? 'kept' : 'dropped';
      if (decision.late) this.count.late(decision.spans.length, { decision: decisionLabel });
      else this.count.traces(1, { decision: decisionLabel, policy: decision.policy ?? '' });
      if (decision.early) this.count.early();
      this.count.spans(decision.spans.length, { decision: decisionLabel });
      if (decision.keep) void this.commit(decision.spans, [...decision.tags], true);
      else this.release(decision.tags);
    }
  }

  /**
   * `retry`: the client was already answered, so a failed commit is retried rather than reported.
   * `afterFailure`: an earlier try failed, so the spans storage holds are left out.
   */
  private commit(spans: SpanRow[], tags: Tag[], retry: boolean, afterFailure = false): Promise<void> {
    const claimed = tags.some((tag) => tag !== null && tag <= this.replayedUpTo) ? this.replayClaimed : null;
    const attempt = async (): Promise<void> => {
      let rows = spans;
      if (afterFailure) {
        const stored = await this.storedKeys(rows);
        rows = rows.filter((s) => !stored.has(spanKey(s.traceId, s.spanId)));
        if (rows.length < spans.length) this.count.storedBefore(spans.length - rows.length);
      }
      let keys: string[] = [];
      if (claimed) {
        rows = rows.filter((s) => !claimed.has(spanKey(s.traceId, s.spanId)));
        keys = rows.map((s) => spanKey(s.traceId, s.spanId));
        for (const key of keys) claimed.add(key);
      }
      try {
        await this.batcher.submit(rows);
      } catch (error) {
        for (const key of keys) claimed?.delete(key);
        throw error;
      }
      this.release(tags);
    };
    const run: Promise<void> = attempt().catch(async (error: Error) => {
      if (!retry) throw error;
      const unstored = (): void => this.log.warn(`ducktrace: ${spans.length} spans could not be stored before shutdown (${error.message}); the write-ahead log keeps them`);
      if (this.stopped) return unstored();
      // Storage recovery tells of the outage; each commit waiting for it need not.
      const storageDown = !this.batcher.storageWritable;
      if (storageDown) await Promise.race([this.batcher.whenWritable(), this.stopping]);
      if (this.stopped) return unstored();
      // Spread out, so that commits that failed together are not all retried at the same moment.
      const delayMs = Math.round(RETRY_MS * (storageDown ? Math.random() : 0.5 + Math.random()));
      if (!storageDown) this.log.warn(`ducktrace: storing ${spans.length} spans failed (${error.message}); retrying in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await this.commit(spans, tags, retry, true);
    });
    this.inFlight.add(run);
    run.then(
      () => this.inFlight.delete(run),
      () => this.inFlight.delete(run),
    );
    return run;
  }

  /** Keys of the spans among `spans` that storage holds, asked a bounded number of traces at a time. */
  private async storedKeys(spans: readonly SpanRow[]): Promise<Set<string>> {
    const traceIds = [...new Set(spans.map((s) => s.traceId))];
    const stored = new Set<string>();
    for (let i = 0; i < traceIds.length; i += REPLAY_LOOKUP_TRACES) {
      for (const key of await this.reader.storedSpanKeys(traceIds.slice(i, i + REPLAY_LOOKUP_TRACES))) stored.add(key);
    }
    return stored;
  }

  /** A record whose every trace is decided and committed can leave the write-ahead log. */
  private release(tags: Iterable<Tag>): void {
    for (const tag of tags) {
      if (tag === null || !this.wal) continue;
      const left = (this.recordRefs.get(tag) ?? 1) - 1;
      if (left > 0) this.recordRefs.set(tag, left);
      else {
        this.recordRefs.delete(tag);
        this.wal.release(tag);
        if (tag <= this.replayedUpTo && --this.replayedOutstanding === 0) this.replayClaimed = null;
      }
    }
  }
}
