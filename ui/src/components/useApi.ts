/** Runs an API call for the current inputs and tracks its loading, error and data states. */
import { useEffect, useState } from 'preact/hooks';

export type Loadable<T> = { state: 'idle' } | { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T };

/**
 * Calls `load` whenever `key` changes (a string of everything the call depends on), aborting the call
 * before it; `load` returning null means there is nothing to load (state idle).
 */
export function useApi<T>(key: string, load: (signal: AbortSignal) => Promise<T> | null): Loadable<T> {
  const [result, setResult] = useState<Loadable<T>>({ state: 'idle' });
  useEffect(() => {
    const controller = new AbortController();
    const pending = load(controller.signal);
    if (pending === null) {
      setResult({ state: 'idle' });
      return undefined;
    }
    setResult({ state: 'loading' });
    pending.then(
      (data) => !controller.signal.aborted && setResult({ state: 'ready', data }),
      (error: Error) => !controller.signal.aborted && setResult({ state: 'error', error }),
    );
    return () => controller.abort();
  }, [key]);
  return result;
}
