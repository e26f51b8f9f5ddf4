/**
 * Whether storage can write, as the storage edge sees it: healthy, or failing with a reason (a full
 * disk, a database DuckDB invalidated). While it fails, exports are refused with a retryable 503 and
 * readiness says why; whoever repairs storage (storageRecovery.ts) marks it healthy again.
 */

export type StorageState = { healthy: true } | { healthy: false; reason: string; sinceMs: number };

export class StorageHealth {
  private current: StorageState = { healthy: true };
  private readonly failureListeners: Array<(reason: string) => void> = [];
  private recovered: Array<() => void> = [];

  constructor(private readonly clock: () => number = Date.now) {}

  get state(): StorageState {
    return this.current;
  }

  get healthy(): boolean {
    return this.current.healthy;
  }

  /** Marks storage failing; the first reason of an outage is kept, and listeners hear only of that one. */
  fail(reason: string): void {
    if (!this.current.healthy) return;
    this.current = { healthy: false, reason, sinceMs: this.clock() };
    for (const listener of this.failureListeners) listener(reason);
  }

  recover(): void {
    if (this.current.healthy) return;
    this.current = { healthy: true };
    for (const resolve of this.recovered.splice(0)) resolve();
  }

  /** Called with the reason each time storage starts failing. */
  onFailure(listener: (reason: string) => void): void {
    this.failureListeners.push(listener);
  }

  /** Resolves at once when healthy, else when storage recovers. */
  whenHealthy(): Promise<void> {
    if (this.current.healthy) return Promise.resolve();
    return new Promise((resolve) => this.recovered.push(resolve));
  }
}
