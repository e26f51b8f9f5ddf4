/**
 * Admission of gRPC messages to be read. grpc-js reads a message whole before a handler sees it, and its
 * size is not known before (a gRPC client announces none), so each call reserves room in the memory
 * limit for a message of the largest size before its message is read; the reservation is released once
 * the message has arrived, when the export reserves what decoding it takes. A call that finds no room
 * while other messages are being read waits for one of them to arrive (its stream paused, so HTTP/2 flow
 * control holds its client back) for at most maxWaitMs, in a queue of at most maxWaiting calls;
 * otherwise, or after that, it is refused with the memory limiter's retryable error.
 */
export interface ReadGateOptions {
  /** Reserves room for one message, or null when the limit has none (counting nothing). */
  tryReserve(): (() => void) | null;
  /** Reserves room for one message or throws the refusal (counting it): the last attempt before giving up. */
  reserve(): () => void;
  maxWaiting: number;
  maxWaitMs: number;
}

/** What `admit` calls back with: the release of the reservation, or the refusal. */
export type Admission = { release: () => void } | { refusal: unknown };

interface Waiter {
  admitted(admission: Admission): void;
  timer: NodeJS.Timeout;
}

export class ReadGate {
  private reading = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: ReadGateOptions) {}

  /** Messages admitted and not yet arrived. */
  get inFlight(): number {
    return this.reading;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Calls `admitted` once, now or when room is made, with the release or the refusal; returns the
   * cancel for a call that ends while it waits.
   */
  admit(admitted: (admission: Admission) => void): () => void {
    const release = this.options.tryReserve();
    if (release) {
      admitted({ release: this.track(release) });
      return () => undefined;
    }
    // With nothing being read, no message's arrival will make room.
    if (this.reading === 0 || this.waiting.length >= this.options.maxWaiting) {
      admitted(this.lastAttempt());
      return () => undefined;
    }
    const waiter: Waiter = {
      admitted,
      timer: setTimeout(() => {
        this.remove(waiter);
        admitted(this.lastAttempt());
      }, this.options.maxWaitMs),
    };
    this.waiting.push(waiter);
    return () => {
      clearTimeout(waiter.timer);
      this.remove(waiter);
    };
  }

  private lastAttempt(): Admission {
    try {
      return { release: this.track(this.options.reserve()) };
    } catch (refusal) {
      return { refusal };
    }
  }

  /** Counts the message as being read until its release, which lets the calls waiting in, in order, while there is room. */
  private track(release: () => void): () => void {
    this.reading++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      this.reading--;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0) {
      const release = this.options.tryReserve();
      if (!release) return;
      const waiter = this.waiting.shift()!;
      clearTimeout(waiter.timer);
      waiter.admitted({ release: this.track(release) });
    }
  }

  private remove(waiter: Waiter): void {
    const i = this.waiting.indexOf(waiter);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}
