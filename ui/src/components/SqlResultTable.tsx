/**
 * A SQL answer as a table: headers with their types, NULL set apart, long values cut with the whole
 * value on hover, trace and span ids as links into the trace view.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import type { SqlResult } from '../api.js';
import { formatCell, isNumericType, linkPlan } from '../lib/sqlCells.js';
import { hrefOf, Link } from '../router.js';

export function SqlResultTable({ result }: { result: SqlResult }): JSX.Element {
  const numeric = result.columns.map((column) => isNumericType(column.type));
  const links = useMemo(() => linkPlan(result.columns), [result]);
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
                const target = links[i]?.(row) ?? null;
                return (
                  <td class={`sql-cell-${cell.kind}${numeric[i] ? ' num' : ''}`} title={cell.full}>
                    {target === null ? (
                      cell.text
                    ) : (
                      <Link href={hrefOf(`/trace/${target.traceId}`, { span: target.spanId })} title={target.spanId === undefined ? 'Open the trace' : 'Open the span in its trace'}>
                        {cell.text}
                      </Link>
                    )}
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
