import { readFileSync } from 'node:fs';

/** The process's soft limit on open files (Linux: /proc/self/limits); null where it cannot be read or is unlimited. */
export function openFileLimit(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : null;
}
