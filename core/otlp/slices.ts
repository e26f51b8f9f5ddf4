/**
 * Work written as a generator that pauses (yields) when asked to, run either at once or in slices of a
 * few milliseconds with the event loop turning in between, so that one large request cannot hold up
 * every other request (and /healthz) while it is decoded.
 */
export type Steps<T> = Generator<void, T, void>;

/** Asked by the work at the points where it may pause: true when its slice of time is over. */
export interface Pauser {
  due(): boolean;
}

const NEVER: Pauser = { due: () => false };

/** Runs the work at once: it is never asked to pause, so it runs at the speed of a plain function. */
export function runToEnd<T>(work: (pauser: Pauser) => Steps<T>): T {
  const step = work(NEVER).next();
  if (!step.done) throw new Error('work paused when it was not asked to');
  return step.value;
}

export async function runInSlices<T>(work: (pauser: Pauser) => Steps<T>, sliceMs: number): Promise<T> {
  let deadline = performance.now() + sliceMs;
  const steps = work({ due: () => performance.now() >= deadline });
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
    deadline = performance.now() + sliceMs;
  }
}
