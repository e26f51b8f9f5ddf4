const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
const SPAN_ID_HEX = /^[0-9a-f]{16}$/;
const ALL_ZERO = /^0+$/;

/** A trace id as users type it: 32 hex digits, any case. Returns the stored (lowercase) form or null. */
export function normalizeTraceId(text: string): string | null {
  const id = text.toLowerCase();
  return TRACE_ID_HEX.test(id) && !ALL_ZERO.test(id) ? id : null;
}

export function normalizeSpanId(text: string): string | null {
  const id = text.toLowerCase();
  return SPAN_ID_HEX.test(id) && !ALL_ZERO.test(id) ? id : null;
}

export function isAllZeroHex(hex: string): boolean {
  return ALL_ZERO.test(hex);
}

/** The largest finite TIMESTAMP_NS (year 2262); int64's maximum itself means infinity there. */
export const MAX_TIMESTAMP_NS = 2n ** 63n - 2n;
