/**
 * Keeps at most `tracesPerSecond` traces per second per service (the root's service, else the first
 * span's), with a token bucket of `burst` tokens refilled continuously from `nowMs`.
 *
 * The probability reported (for weights) is an ESTIMATE: kept / seen for the trace's service over the
 * last `windowMs` (sliding over 10 sub-windows), counting this trace. It is unbiased when the arrival rate
 * is steady over the window; when traffic rises suddenly, the bucket starts refusing before the ratio
 * catches up, so weights are briefly too low (counts under-estimated), and the reverse when traffic falls.
 * A token bucket keeps traces by arrival order, not by a random draw, so the keep chance of an individual
 * trace is not known exactly; this ratio is the standard approximation (an adjusted count of seen / kept).
 * At most `maxServices` services are tracked; beyond that, the least recently seen is forgotten.
 */
import type { PolicyResult, SamplingPolicy, TraceView } from './policy.js';

export interface RateLimitingOptions {
  tracesPerSecond: number;
  /** Bucket size; defaults to max(1, tracesPerSecond). */
  burst?: number | undefined;
  /** The window of the keep-ratio estimate; default 10 s. */
  windowMs?: number | undefined;
  maxServices?: number | undefined;
}

const SLOTS = 10;

interface ServiceState {
  tokens: number;
  lastMs: number;
  /** Sub-window index (floor(now / slotMs)) of each slot's counts. */
  slotIndex: number[];
  seen: number[];
  kept: number[];
}

export class RateLimitingPolicy implements SamplingPolicy {
  readonly type = 'rate_limiting';
  readonly randomness = 'own';
  private readonly services = new Map<string, ServiceState>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly slotMs: number;
  private readonly maxServices: number;

  constructor(
    readonly name: string,
    options: RateLimitingOptions,
  ) {
    this.rate = options.tracesPerSecond;
    this.burst = options.burst ?? Math.max(1, options.tracesPerSecond);
    this.slotMs = (options.windowMs ?? 10_000) / SLOTS;
    this.maxServices = options.maxServices ?? 10_000;
  }

  evaluate(trace: TraceView, nowMs: number): PolicyResult {
    const state = this.state(trace.serviceName, nowMs);
    const elapsed = Math.max(0, nowMs - state.lastMs);
    state.tokens = Math.min(this.burst, state.tokens + (elapsed * this.rate) / 1000);
    state.lastMs = Math.max(state.lastMs, nowMs);
    const sampled = state.tokens >= 1;
    if (sampled) state.tokens -= 1;

    const index = Math.floor(nowMs / this.slotMs);
    const slot = ((index % SLOTS) + SLOTS) % SLOTS;
    if (state.slotIndex[slot] !== index) {
      state.slotIndex[slot] = index;
      state.seen[slot] = 0;
      state.kept[slot] = 0;
    }
    state.seen[slot]!++;
    if (sampled) state.kept[slot]!++;
    let seen = 0;
    let kept = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (index - state.slotIndex[s]! < SLOTS) {
        seen += state.seen[s]!;
        kept += state.kept[s]!;
      }
    }
    // kept >= 1 whenever this trace was sampled, so a sampled trace never gets probability 0.
    return { sampled, probability: seen === 0 ? 1 : Math.max(kept, sampled ? 1 : 0) / seen };
  }

  private state(service: string, nowMs: number): ServiceState {
    let state = this.services.get(service);
    if (state === undefined) {
      if (this.services.size >= this.maxServices) this.services.delete(this.services.keys().next().value!);
      state = { tokens: this.burst, lastMs: nowMs, slotIndex: new Array<number>(SLOTS).fill(-Infinity), seen: new Array<number>(SLOTS).fill(0), kept: new Array<number>(SLOTS).fill(0) };
    } else this.services.delete(service);
    this.services.set(service, state); // most recently seen last
    return state;
  }
}
