/**
 * Consistent probability sampling as OpenTelemetry's tracestate probability sampling specification and
 * W3C Trace Context Level 2 define it: a 56-bit randomness value R (the low 56 bits of the trace id, or
 * an explicit `ot=rv:<14 hex>`), a 56-bit rejection threshold T = (1 - p) * 2^56 (`ot=th:<1-14 hex>`,
 * right-padded with zeros), keep iff R >= T, adjusted count (weight) = 2^56 / (2^56 - T).
 *
 * 56-bit values are compared as 14-digit lowercase hex strings: equal-length hex strings order like
 * the numbers they spell, and this avoids BigInt work on the per-span hot path.
 * Nothing here throws on bad input from the wire: unparseable values read as absent.
 */

export const MAX_THRESHOLD = 1n << 56n;
const TWO_56 = 2 ** 56;
/** The default precision (hex digits) OpenTelemetry recommends for thresholds. */
export const DEFAULT_THRESHOLD_PRECISION = 4;
export const MIN_PROBABILITY = 2 ** -56;

const HEX_1_14 = /^[0-9a-f]{1,14}$/;
const HEX_14 = /^[0-9a-f]{14}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
/** The OpenTelemetry tracestate value is at most 256 characters; longer ones are ignored. */
const MAX_OT_VALUE = 256;
/** Tracestates longer than this are not parsed at all (W3C allows 32 members of ~256 characters). */
const MAX_TRACESTATE = 8192;

/**
 * The rejection threshold for probability p, rounded as the specification's reference algorithm does:
 * `precision` hex digits, raised by one digit per 4 leading zero bits of p (so small probabilities keep
 * their relative precision), round half up, at most 14 digits. p = 1 gives 0. Throws RangeError for p
 * outside [2^-56, 1]; callers validate configuration before this.
 */
export function probabilityToThreshold(p: number, precision = DEFAULT_THRESHOLD_PRECISION): bigint {
  if (!(p >= MIN_PROBABILITY && p <= 1)) throw new RangeError(`sampling probability ${p} is outside [2^-56, 1]`);
  if (p === 1) return 0n;
  // frexp(p) exponent: p = m * 2^exp with m in [0.5, 1).
  const exp = Math.floor(Math.log2(p)) + 1;
  const digits = Math.min(14, Math.max(1, precision + Math.floor(-exp / 4)));
  // p * 2^56 is exact in binary floating point; Math.round makes it a whole number.
  let threshold = MAX_THRESHOLD - BigInt(Math.round(p * TWO_56));
  const shift = BigInt(4 * (14 - digits));
  if (shift > 0n) threshold = ((threshold + (1n << (shift - 1n))) >> shift) << shift;
  if (threshold >= MAX_THRESHOLD) threshold = MAX_THRESHOLD - 1n;
  if (threshold < 0n) threshold = 0n;
  return threshold;
}

/** The probability a threshold keeps: (2^56 - T) / 2^56. */
export function thresholdToProbability(threshold: bigint): number {
  return Number(MAX_THRESHOLD - threshold) / TWO_56;
}

/** The adjusted count (sampling weight) of a threshold: 2^56 / (2^56 - T). */
export function thresholdToAdjustedCount(threshold: bigint): number {
  return TWO_56 / Number(MAX_THRESHOLD - threshold);
}

/** A threshold as the 14-digit hex string used for comparisons. */
export function thresholdHex14(threshold: bigint): string {
  return threshold.toString(16).padStart(14, '0');
}

/** A threshold as a `th` value: hex without trailing zeros, '0' for zero. */
export function thresholdToTh(threshold: bigint): string {
  if (threshold === 0n) return '0';
  return thresholdHex14(threshold).replace(/0+$/, '');
}

/** A `th` value (1 to 14 lowercase hex digits, right-padded with zeros) as a threshold; undefined if malformed. */
export function parseTh(th: string): bigint | undefined {
  if (!HEX_1_14.test(th)) return undefined;
  return BigInt(`0x${th.padEnd(14, '0')}`);
}

export interface OtelTraceState {
  /** The upstream rejection threshold from `ot=th:`, when present and well-formed. */
  threshold: bigint | undefined;
  /** The explicit randomness from `ot=rv:` as 14 hex digits, when present and well-formed. */
  randomness: string | undefined;
}

const NONE: OtelTraceState = Object.freeze({ threshold: undefined, randomness: undefined });

/** The `ot` member's value of a W3C tracestate, or undefined. Never throws. */
function otValue(traceState: string): string | undefined {
  if (traceState === '' || traceState.length > MAX_TRACESTATE || !traceState.includes('ot=')) return undefined;
  for (const member of traceState.split(',')) {
    const trimmed = member.trim();
    if (trimmed.startsWith('ot=')) {
      const value = trimmed.slice(3);
      return value.length <= MAX_OT_VALUE ? value : undefined;
    }
  }
  return undefined;
}

/** The `th` and `rv` sub-keys of the OpenTelemetry tracestate member; malformed values read as absent. */
export function parseOtelTraceState(traceState: string): OtelTraceState {
  const value = otValue(traceState);
  if (value === undefined) return NONE;
  let threshold: bigint | undefined;
  let randomness: string | undefined;
  for (const item of value.split(';')) {
    const colon = item.indexOf(':');
    if (colon < 0) continue;
    const key = item.slice(0, colon);
    const v = item.slice(colon + 1);
    if (key === 'th' && threshold === undefined) threshold = parseTh(v);
    else if (key === 'rv' && randomness === undefined && HEX_14.test(v)) randomness = v;
  }
  return threshold === undefined && randomness === undefined ? NONE : { threshold, randomness };
}

/**
 * The tracestate with the OpenTelemetry `th` sub-key set to `th` (other `ot` sub-keys and other members kept;
 * the modified `ot` member moves to the front, as W3C asks of a modified member). Returns the input unchanged
 * when it is too long to handle.
 */
export function withOtelThreshold(traceState: string, th: string): string {
  if (traceState.length > MAX_TRACESTATE) return traceState;
  const members = traceState === '' ? [] : traceState.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const at = members.findIndex((m) => m.startsWith('ot='));
  const items = at < 0 ? [] : members[at]!.slice(3).split(';').filter((item) => item !== '' && !item.startsWith('th:'));
  if (at >= 0) members.splice(at, 1);
  return [`ot=${[`th:${th}`, ...items].join(';')}`, ...members].join(',');
}

/** The randomness of a span: explicit `rv` first, else the low 56 bits of a well-formed trace id. */
export function randomnessOf(traceId: string, state: OtelTraceState): string | undefined {
  if (state.randomness !== undefined) return state.randomness;
  return TRACE_ID.test(traceId) ? traceId.slice(18) : undefined;
}
