/** The trace's summary: root service and operation, duration, span count, depth and its services. */
import type { JSX } from 'preact';
import type { CallTree, SpanNode } from '../api.js';
import { formatCount, formatDuration, formatTime } from '../lib/format.js';
import { serviceColor } from '../lib/serviceColor.js';
import { useTimeZone } from './useTimeZone.js';

export function TraceHeader({ trace, root }: { trace: CallTree; root: SpanNode }): JSX.Element {
  const zone = useTimeZone();
  return (
    <header class="trace-header">
      <h1>
        <span class="service-dot" style={{ background: serviceColor(root.service) }} aria-hidden="true" />
        <span class="trace-root-service">{root.service}</span>
        <span class="trace-root-name">{root.name}</span>
        {trace.rootSpanIds.length === 0 && <span class="trace-badge">no root span</span>}
      </h1>
      <dl class="trace-facts">
        <div>
          <dt>Trace</dt>
          <dd class="mono">{trace.traceId}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd data-fact="started">{formatTime(trace.startTimeUnixNano, zone)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd data-fact="duration">{formatDuration(trace.durationNs)}</dd>
        </div>
        <div>
          <dt>Spans</dt>
          <dd data-fact="spans">{formatCount(trace.spanCount)}</dd>
        </div>
        <div>
          <dt>Depth</dt>
          <dd data-fact="depth">{trace.depth}</dd>
        </div>
        {trace.errorCount > 0 && (
          <div>
            <dt>Errors</dt>
            <dd class="error-text">{formatCount(trace.errorCount)}</dd>
          </div>
        )}
      </dl>
      <ul class="trace-services" aria-label="Services">
        {trace.services.map((service) => (
          <li key={service.service} title={`${service.spanCount} spans, ${service.errorCount} errors, self time ${formatDuration(service.selfTimeNs)}`}>
            <span class="service-dot" style={{ background: serviceColor(service.service) }} aria-hidden="true" />
            {service.service} <span class="muted">{formatCount(service.spanCount)}</span>
          </li>
        ))}
      </ul>
    </header>
  );
}
