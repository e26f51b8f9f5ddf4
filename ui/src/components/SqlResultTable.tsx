/** A SQL answer as a table: headers with their types, NULL set apart, long values cut with the whole value on hover. */
import type { JSX } from 'preact';
import type { SqlResult } from '../api.js';
import { formatCell, isNumericType } from '../lib/sqlCells.js';

export function SqlResultTable({ result }: { result: SqlResult }): JSX.Element {
  const numeric = result.columns.map((column) => isNumericType(column.type));
  return (
    <div class="sql-result-scroll">
      <table class="data sql-result">
        <thead>
          <tr>
            {result.columns.map((column, i) => (
              <th scope="col" class={numeric[i] ? 'num' : undefined} data-type={column.type}>
                <span class="sql-column-name">{column.name}</span>
                <span class="sql-column-type" title={column.type}>
                  {column.type}
                </span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row) => (
            <tr>
              {row.map((value, i) => {
                const cell = formatCell(value);
                return (
                  <td class={`sql-cell-${cell.kind}${numeric[i] ? ' num' : ''}`} title={cell.full}>
                    {cell.text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
