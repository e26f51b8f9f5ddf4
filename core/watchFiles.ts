import { unwatchFile, watchFile, type Stats } from 'node:fs';

/**
 * Calls `onChange` when any of `paths` is modified, replaced or appears. Polling, because editors,
 * `kubectl` secret mounts and certificate renewers replace files rather than write them in place,
 * which fs.watch loses track of. The watchers do not keep the process alive. Returns the stop function.
 */
export function watchFiles(paths: readonly string[], onChange: () => void, intervalMs = 500): () => void {
  const listener = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) onChange();
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const path of paths) unwatchFile(path, listener);
  };
}
