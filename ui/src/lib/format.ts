/** How durations, times, rates and counts read in the UI. Pure; local times follow the environment's time zone. */

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

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The zone times are shown in: the browser's own, or UTC. */
export type TimeZoneSetting = 'local' | 'utc';

/** Minutes east of UTC of the zone at that instant (the local offset moves with daylight saving time). */
export function zoneOffsetMinutes(zone: TimeZoneSetting, ms: number): number {
  return zone === 'utc' ? 0 : -new Date(ms).getTimezoneOffset();
}

/** The zone as a time's suffix reads: "UTC", or the local offset at that instant, "UTC+01:00", "UTC-05:30". */
export function offsetLabel(zone: TimeZoneSetting, ms: number): string {
  if (zone === 'utc') return 'UTC';
  const offset = zoneOffsetMinutes(zone, ms);
  const abs = Math.abs(offset);
  return `UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The zone by name, for labels that hold for any instant: "UTC", or the local zone's IANA name ("Europe/Berlin"). */
export function zoneName(zone: TimeZoneSetting): string {
  if (zone === 'utc') return 'UTC';
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  millis: number;
}

/** The calendar fields of an instant as a clock in the zone reads them. */
function wallClock(ms: number, zone: TimeZoneSetting): WallClock {
  // Shifted by the zone's offset, the UTC fields of the date are the zone's wall clock.
  const shifted = new Date(ms + zoneOffsetMinutes(zone, ms) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hours: shifted.getUTCHours(),
    minutes: shifted.getUTCMinutes(),
    seconds: shifted.getUTCSeconds(),
    millis: shifted.getUTCMilliseconds(),
  };
}

/**
 * The one way the UI writes an instant: "2026-11-24 14:03:07.123 UTC+01:00" (or "… UTC"). Where a
 * column header or an axis names the zone, `withZone: false` leaves the suffix off.
 */
export function formatTimestamp(ms: number, zone: TimeZoneSetting, { withZone = true } = {}): string {
  if (!Number.isFinite(ms)) return '–';
  const c = wallClock(ms, zone);
  const text = `${c.year}-${pad(c.month)}-${pad(c.day)} ${pad(c.hours)}:${pad(c.minutes)}:${pad(c.seconds)}.${pad(c.millis, 3)}`;
  return withZone ? `${text} ${offsetLabel(zone, ms)}` : text;
}

/** A unix-nanosecond time (decimal string) as formatTimestamp writes it. */
export function formatTime(unixNano: string | bigint, zone: TimeZoneSetting, options: { withZone?: boolean } = {}): string {
  return formatTimestamp(nsToMs(unixNano), zone, options);
}

/** An axis label: "14:03", or "14:03:05" for ticks under a minute apart. */
export function formatClock(ms: number, zone: TimeZoneSetting, withSeconds: boolean): string {
  const c = wallClock(ms, zone);
  return `${pad(c.hours)}:${pad(c.minutes)}${withSeconds ? `:${pad(c.seconds)}` : ''}`;
}

/** The calendar day of an instant in the zone: "2026-11-24". */
export function formatDay(ms: number, zone: TimeZoneSetting): string {
  const c = wallClock(ms, zone);
  return `${c.year}-${pad(c.month)}-${pad(c.day)}`;
}

/** A time as the range picker shows it for editing, to the second: "2026-11-24 14:03:07". */
export function formatInputTime(ms: number, zone: TimeZoneSetting): string {
  if (!Number.isFinite(ms)) return '';
  const c = wallClock(ms, zone);
  return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)} ${pad(c.hours)}:${pad(c.minutes)}:${pad(c.seconds)}`;
}

/**
 * The instant a typed time names on the zone's clock: "2026-11-24 14:03", with seconds and
 * milliseconds optional (a "T" may stand for the space); NaN when the text is not such a time.
 */
export function parseInputTime(text: string, zone: TimeZoneSetting): number {
  const match = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((match[7] ?? '').padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hours > 23 || minutes > 59 || seconds > 59) return Number.NaN;
  if (zone === 'utc') return Date.UTC(year, month - 1, day, hours, minutes, seconds, millis);
  // The browser resolves local wall-clock times, including those in a daylight-saving change.
  return new Date(year, month - 1, day, hours, minutes, seconds, millis).getTime();
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

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
