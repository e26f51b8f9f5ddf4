/** A list of typed attributes as a key/value table; says so when there are none. */
import type { JSX } from 'preact';
import type { TypedAttribute } from '../api.js';
import { formatAttributeValue } from '../lib/attributeValue.js';

export function AttributeTable({ attributes, dropped = 0, label }: { attributes: TypedAttribute[]; dropped?: number; label: string }): JSX.Element {
  if (attributes.length === 0 && dropped === 0) return <p class="muted attr-none">No {label}.</p>;
  return (
    <table class="attr-table" aria-label={label}>
      <tbody>
        {attributes.map((attribute) => (
          <tr key={attribute.key}>
            <th scope="row" class="mono">{attribute.key}</th>
            <td class={`mono attr-${attribute.type}`}>{formatAttributeValue(attribute)}</td>
          </tr>
        ))}
        {dropped > 0 && (
          <tr>
            <td colSpan={2} class="muted">
              {dropped} dropped by the client
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
