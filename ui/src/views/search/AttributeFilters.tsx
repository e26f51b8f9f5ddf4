/** Attribute filter rows of the search form: key, operator, value; rows are added and removed. */
import type { JSX } from 'preact';
import { ATTR_OPERATORS, emptyAttr, type AttrFilterRow, type AttrOperator } from '../../lib/searchForm.js';

const OPERATOR_LABELS: Record<AttrOperator, string> = {
  '=': '=',
  '!=': '≠',
  '>': '>',
  '>=': '≥',
  '<': '<',
  '<=': '≤',
  '=~': 'matches regex',
  '!~': 'does not match',
  exists: 'exists',
  absent: 'is absent',
};

export function AttributeFilters({ rows, onChange }: { rows: AttrFilterRow[]; onChange: (rows: AttrFilterRow[]) => void }): JSX.Element {
  const update = (i: number, patch: Partial<AttrFilterRow>): void => onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  return (
    <fieldset class="attr-filters">
      <legend>Attributes</legend>
      {rows.map((row, i) => (
        <div class="attr-row">
          <input aria-label={`Attribute ${i + 1} key`} placeholder="http.route" value={row.key} onInput={(e) => update(i, { key: (e.target as HTMLInputElement).value })} />
          <select aria-label={`Attribute ${i + 1} operator`} value={row.op} onChange={(e) => update(i, { op: (e.target as HTMLSelectElement).value as AttrOperator })}>
            {ATTR_OPERATORS.map((op) => (
              <option value={op}>{OPERATOR_LABELS[op]}</option>
            ))}
          </select>
          {row.op !== 'exists' && row.op !== 'absent' && (
            <input aria-label={`Attribute ${i + 1} value`} placeholder="value" value={row.value} onInput={(e) => update(i, { value: (e.target as HTMLInputElement).value })} />
          )}
          <button type="button" aria-label={`Remove attribute ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" class="add-attr" onClick={() => onChange([...rows, emptyAttr()])}>
        + Add attribute filter
      </button>
    </fieldset>
  );
}
