/** How a typed OTLP attribute value reads in the UI, one line of text. Pure. */
import type { TypedValue } from '../../../core/otlp/anyValue.js';

export type { TypedValue };

/** Strings as they are at the top level; inside arrays and maps they are quoted so that items stay apart. */
export function formatAttributeValue(value: TypedValue, nested = false): string {
  switch (value.type) {
    case 'string':
      return nested ? JSON.stringify(value.value) : value.value;
    case 'bool':
    case 'int':
    case 'double':
      return String(value.value);
    case 'bytes':
      return `base64:${value.value}`;
    case 'array':
      return `[${value.value.map((item) => formatAttributeValue(item, true)).join(', ')}]`;
    case 'kvlist':
      return `{${value.value.map((item) => `${item.key}: ${formatAttributeValue(item, true)}`).join(', ')}}`;
    case 'empty':
      return '(empty)';
  }
}
