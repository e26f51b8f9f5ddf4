/** The RED columns shared by the services list and the operations table. */
import type { HTMLAttributes, JSX } from 'preact';
import type { RedFigures } from '../../api.js';
import { formatCount, formatDuration, formatPercent, formatRate } from '../../lib/format.js';
import { SHOWN_PERCENTILES } from '../../lib/redSeries.js';

export function RedHeaders(): JSX.Element {
  return (
    <>
      <th class="num">Requests</th>
      <th class="num">Rate</th>
      <th class="num">Error rate</th>
      {SHOWN_PERCENTILES.map((p) => (
        <th class="num">{p}</th>
      ))}
    </>
  );
}

export function RedCells({ figures }: { figures: RedFigures }): JSX.Element {
  return (
    <>
      <td class="num" data-figure="requests">{formatCount(figures.requests)}</td>
      <td class="num" data-figure="rate">{formatRate(figures.requestRate)}</td>
      <td class={figures.errorRate ? 'num error-text' : 'num'} data-figure="errorRate">
        {formatPercent(figures.errorRate)}
      </td>
      {SHOWN_PERCENTILES.map((p) => (
        <td class="num" data-figure={p}>
          {formatDuration(figures.percentiles[p])}
        </td>
      ))}
    </>
  );
}

/** A row that opens `onOpen` on click or Enter, for tables whose rows lead somewhere. */
export function rowActions(onOpen: () => void): HTMLAttributes<HTMLTableRowElement> {
  return {
    tabIndex: 0,
    onClick: (event) => {
      if (!(event.target as HTMLElement).closest('a')) onOpen();
    },
    onKeyDown: (event) => {
      if (event.key === 'Enter') onOpen();
    },
  };
}
