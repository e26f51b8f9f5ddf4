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
            <td class={`mono attr-${attribute.type}`}>
              <AttributeValue attribute={attribute} />
            </td>
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

/** A value of several lines (a stack trace) is preformatted, so that its lines stay lines. */
function AttributeValue({ attribute }: { attribute: TypedAttribute }): JSX.Element {
  const text = formatAttributeValue(attribute);
  return text.includes('\n') ? <pre class="attr-pre" tabIndex={0}>{text}</pre> : <>{text}</>;
}
