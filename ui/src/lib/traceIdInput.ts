/** What the header's trace-id box accepts. Pure. */

export type TraceIdInput = { ok: true; traceId: string } | { ok: false; message: string };

/** Longer input is not looked at: no trace id, link or traceparent is anywhere near this long. */
const MAX_INPUT_CHARS = 2_048;

/**
 * A trace id as users paste it: 1 to 32 hex digits in any case, left-padded with zeros to 32 as Jaeger
 * does (64-bit ids); a link to a trace (…/trace/<id>) or a W3C traceparent header value also do.
 */
export function parseTraceIdInput(text: string): TraceIdInput {
  if (text.length > MAX_INPUT_CHARS) return { ok: false, message: 'That is far too long for a trace id (at most 32 hex digits).' };
  let id = text.trim();
  if (id === '') return { ok: false, message: 'Paste a trace id (up to 32 hex digits).' };
  const link = /\/trace\/([^/?#\s]+)/.exec(id);
  const traceparent = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i.exec(id);
  if (link) id = decodeURIComponent(link[1]!);
  else if (traceparent) id = traceparent[1]!;
  if (/^0x/i.test(id)) id = id.slice(2);
  if (!/^[0-9a-f]+$/i.test(id)) return { ok: false, message: `"${shorten(id)}" is not a trace id: use hex digits only (0-9, a-f).` };
  if (id.length > 32) return { ok: false, message: `A trace id has at most 32 hex digits; this has ${id.length}.` };
  if (/^0+$/.test(id)) return { ok: false, message: 'A trace id of all zeros is not valid.' };
  return { ok: true, traceId: id.toLowerCase().padStart(32, '0') };
}

function shorten(text: string): string {
  const chars = [...text];
  return chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : text;
}
