/**
 * The time-zone setting (local or UTC) every shown or picked time follows. It is the user's, not the
 * link's: kept in localStorage, not in the URL, so a shared link shows each reader's own choice.
 */
import { useEffect, useState } from 'preact/hooks';
import type { TimeZoneSetting } from '../lib/format.js';

const STORAGE_KEY = 'ducktrace.timeZone';
const listeners = new Set<() => void>();
let current: TimeZoneSetting | undefined;

function readStored(): TimeZoneSetting {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === 'utc' ? 'utc' : 'local';
  } catch {
    // Storage can be off (privacy settings): the setting then lasts as long as the page.
    return current ?? 'local';
  }
}

function changed(zone: TimeZoneSetting): void {
  current = zone;
  for (const listener of listeners) listener();
}

export function getTimeZone(): TimeZoneSetting {
  if (current === undefined) {
    current = readStored();
    // A switch in another tab applies here too.
    window.addEventListener('storage', (event) => {
      if (event.key === STORAGE_KEY) changed(readStored());
    });
  }
  return current;
}

export function setTimeZone(zone: TimeZoneSetting): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, zone);
  } catch {
    // See readStored.
  }
  changed(zone);
}

/** The setting; the component renders again when it changes. */
export function useTimeZone(): TimeZoneSetting {
  const [zone, setZone] = useState(getTimeZone);
  useEffect(() => {
    const update = (): void => setZone(getTimeZone());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return zone;
}
