/** How durations, times, rates and counts read in the UI. Pure. */

/** A duration in nanoseconds (number, bigint or decimal string) with three significant digits: 850ns, 12.3µs, 4.56ms, 1.20s, 2m 5s. */
export function formatDuration(ns: number | bigint | string | null | undefined): string {
  if (ns === null || ns === undefined || ns === '') return '–';
  const value = Number(ns);
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs < 1e3) return `${Math.round(value)}ns`;
  if (abs < 1e6) return `${sig(value / 1e3)}µs`;
  if (abs < 1e9) return `${sig(value / 1e6)}ms`;
  if (abs < 60e9) return `${sig(value / 1e9)}s`;
  if (abs < 3600e9) {
    const minutes = Math.floor(abs / 60e9);
    return `${value < 0 ? '-' : ''}${minutes}m ${Math.round((abs - minutes * 60e9) / 1e9)}s`;
  }
  const hours = Math.floor(abs / 3600e9);
  return `${value < 0 ? '-' : ''}${hours}h ${Math.round((abs - hours * 3600e9) / 60e9)}m`;
}

/** Three significant digits, without exponent notation. */
function sig(value: number): string {
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

/** Unix nanoseconds (decimal string) → milliseconds since the epoch, as a number (sub-ms precision lost). */
export function nsToMs(ns: string | bigint): number {
  return Number(BigInt(ns) / 1_000_000n);
}

/** A wall-clock time in the user's time zone: "2026-11-24 14:03:07.123". */
export function formatTime(unixNano: string | bigint): string {
  const date = new Date(nsToMs(unixNano));
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A fraction as a percentage: 0.0123 → "1.23%"; null → "–". */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  const percent = fraction * 100;
  if (percent === 0) return '0%';
  return `${percent >= 10 ? percent.toFixed(1) : percent >= 0.1 ? percent.toFixed(2) : percent.toPrecision(2)}%`;
}

/** A per-second rate: "12.3/s", "0.05/s". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  if (perSecond === 0) return '0/s';
  return `${perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond >= 1 ? perSecond.toFixed(1) : perSecond.toPrecision(2)}/s`;
}

/** A (weighted) count: whole numbers with thousands separators, fractions with one decimal. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
