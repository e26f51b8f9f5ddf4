/** A stable colour per service: the same name gets the same hue on every view and every load. Pure. */

/** FNV-1a over the name's UTF-16 code units. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Golden-angle hue steps keep neighbouring hash values apart on the colour wheel. */
export function serviceHue(service: string): number {
  return Math.round((hash(service) * 137.508) % 360);
}

/** A CSS colour readable on both themes (mid lightness and saturation). */
export function serviceColor(service: string): string {
  return `hsl(${serviceHue(service)} 62% 52%)`;
}
