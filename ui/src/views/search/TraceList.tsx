/** Search results as a table; a row opens its trace on click or Enter. */
import type { JSX } from 'preact';
import type { TraceSummary } from '../../api.js';
import { ServiceChip } from '../../components/ServiceChip.js';
import { useTimeZone } from '../../components/useTimeZone.js';
import { formatDuration, formatTime, zoneName, type TimeZoneSetting } from '../../lib/format.js';
import { hrefOf, Link, navigate } from '../../router.js';

export const traceHref = (traceId: string): string => hrefOf(`/trace/${traceId}`, {});

function TraceRow({ trace, zone }: { trace: TraceSummary; zone: TimeZoneSetting }): JSX.Element {
  const href = traceHref(trace.traceId);
  return (
    <tr
      class={trace.errorCount > 0 ? 'trace-row has-errors' : 'trace-row'}
      tabIndex={0}
      data-trace-id={trace.traceId}
      onClick={(event) => {
        if (!(event.target as HTMLElement).closest('a')) navigate(href);
      }}
      onKeyDown={(event) => {
        if (event.key === 'Enter') navigate(href);
      }}
    >
      <td class="trace-name">
        <ServiceChip service={trace.rootService} />
        {/* The link keeps open-in-new-tab; the row itself is the keyboard stop. */}
        <Link href={href} tabIndex={-1} class="root-operation">
          {trace.rootOperation}
        </Link>
        {!trace.hasRoot && <span class="muted"> (root missing)</span>}
        <span class="trace-id mono muted">{trace.traceId.slice(0, 8)}</span>
      </td>
      <td class="trace-start" title={formatTime(trace.startTimeUnixNano, zone)}>
        {formatTime(trace.startTimeUnixNano, zone, { withZone: false })}
      </td>
      <td class="num">{formatDuration(trace.durationNs)}</td>
      <td class="num span-count">{trace.spanCount}</td>
      <td class={trace.errorCount > 0 ? 'num error-text' : 'num'}>{trace.errorCount}</td>
      <td class="trace-services">
        {trace.services.map((s) => (
          <ServiceChip service={s.service} count={s.spanCount} />
        ))}
      </td>
    </tr>
  );
}

export function TraceList({ traces }: { traces: TraceSummary[] }): JSX.Element {
  const zone = useTimeZone();
  return (
    <table class="data trace-list">
      <thead>
        <tr>
          <th>Trace</th>
          <th>
            Start <span class="zone-note">{zoneName(zone)}</span>
          </th>
          <th class="num">Duration</th>
          <th class="num">Spans</th>
          <th class="num">Errors</th>
          <th>Services</th>
        </tr>
      </thead>
      <tbody>
        {traces.map((trace) => (
          <TraceRow trace={trace} zone={zone} />
        ))}
      </tbody>
    </table>
  );
}
