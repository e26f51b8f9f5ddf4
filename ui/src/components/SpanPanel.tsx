/** Everything about one span: ids, kind, status, timings, warnings, attributes, events, links, resource, scope. */
import type { ComponentChildren, JSX } from 'preact';
import type { CallTree, SpanNode } from '../api.js';
import { formatDuration, formatTime } from '../lib/format.js';
import { serviceColor } from '../lib/serviceColor.js';
import { offsetNs } from '../lib/timeAxis.js';
import { hrefOf, Link } from '../router.js';
import { AttributeTable } from './AttributeTable.js';
import { useTimeZone } from './useTimeZone.js';

interface SpanPanelProps {
  trace: CallTree;
  span: SpanNode;
  onClose(): void;
}

export function SpanPanel({ trace, span, onClose }: SpanPanelProps): JSX.Element {
  const zone = useTimeZone();
  const spanHref = (traceId: string, spanId: string): string => hrefOf(`/trace/${traceId}`, { span: spanId });
  return (
    <aside class="span-panel" aria-label="Span details">
      <div class="span-panel-title">
        <h2>
          <span class="service-dot" style={{ background: serviceColor(span.service) }} aria-hidden="true" />
          <span class="muted">{span.service}</span> {span.name}
        </h2>
        <button type="button" class="span-panel-close" aria-label="Close span details" onClick={onClose}>
          ×
        </button>
      </div>
      <dl class="span-facts">
        <Fact label="Span ID" mono>{span.spanId}</Fact>
        <Fact label="Parent" mono>
          {span.parentSpanId === '' ? <span class="muted">none (root)</span> : <Link href={spanHref(trace.traceId, span.parentSpanId)}>{span.parentSpanId}</Link>}
          {span.orphan && <span class="trace-badge">orphan: parent not in trace</span>}
        </Fact>
        <Fact label="Kind">{span.kind}</Fact>
        <Fact label="Status">
          <span class={span.status.code === 'ERROR' ? 'error-text' : ''}>{span.status.code}</span>
          {span.status.message !== '' && <> {span.status.message}</>}
        </Fact>
        <Fact label="Start">
          +{formatDuration(offsetNs(trace.startTimeUnixNano, span.startTimeUnixNano))} <span class="muted">({formatTime(span.startTimeUnixNano, zone)})</span>
        </Fact>
        <Fact label="Duration">{formatDuration(span.durationNs)}</Fact>
        <Fact label="Self time">{formatDuration(span.selfTimeNs)}</Fact>
        <Fact label="Critical path">{span.onCriticalPath ? formatDuration(span.criticalPathNs) : <span class="muted">not on it</span>}</Fact>
        {span.traceState !== '' && <Fact label="Trace state" mono>{span.traceState}</Fact>}
        {span.samplingPolicy !== '' && <Fact label="Sampled by">{span.samplingPolicy}</Fact>}
      </dl>
      {span.warnings.length > 0 && (
        <Section title="Warnings">
          <ul class="span-warnings">
            {span.warnings.map((warning) => (
              <li>{warning}</li>
            ))}
          </ul>
        </Section>
      )}
      <Section title="Attributes">
        <AttributeTable label="attributes" attributes={span.attributes} dropped={span.droppedAttributesCount} />
      </Section>
      <Section title={`Events (${span.events.length + span.droppedEventsCount})`}>
        {span.events.length === 0 && span.droppedEventsCount === 0 && <p class="muted">No events.</p>}
        <ol class="span-events">
          {span.events.map((event) => (
            <li>
              <div>
                <span class="muted mono">+{formatDuration(offsetNs(span.startTimeUnixNano, event.timeUnixNano))}</span> <strong>{event.name}</strong>
              </div>
              {(event.attributes.length > 0 || event.droppedAttributesCount > 0) && (
                <AttributeTable label={`attributes of event ${event.name}`} attributes={event.attributes} dropped={event.droppedAttributesCount} />
              )}
            </li>
          ))}
        </ol>
        {span.droppedEventsCount > 0 && <p class="muted">{span.droppedEventsCount} events dropped by the client</p>}
      </Section>
      <Section title={`Links (${span.links.length + span.droppedLinksCount})`}>
        {span.links.length === 0 && span.droppedLinksCount === 0 && <p class="muted">No links.</p>}
        <ul class="span-links">
          {span.links.map((link) => (
            <li>
              <Link href={spanHref(link.traceId, link.spanId)} class="mono">
                {link.traceId === trace.traceId ? 'this trace' : `trace ${link.traceId}`}, span {link.spanId}
              </Link>
              {(link.attributes.length > 0 || link.droppedAttributesCount > 0) && (
                <AttributeTable label={`attributes of link to ${link.spanId}`} attributes={link.attributes} dropped={link.droppedAttributesCount} />
              )}
            </li>
          ))}
        </ul>
        {span.droppedLinksCount > 0 && <p class="muted">{span.droppedLinksCount} links dropped by the client</p>}
      </Section>
      <Section title="Resource">
        <AttributeTable label="resource attributes" attributes={span.resource.attributes} dropped={span.resource.droppedAttributesCount} />
      </Section>
      <Section title="Scope">
        <p class="mono">
          {span.scope.name || <span class="muted">(unnamed)</span>} {span.scope.version}
        </p>
        {(span.scope.attributes.length > 0 || span.scope.droppedAttributesCount > 0) && (
          <AttributeTable label="scope attributes" attributes={span.scope.attributes} dropped={span.scope.droppedAttributesCount} />
        )}
      </Section>
    </aside>
  );
}

function Fact({ label, mono = false, children }: { label: string; mono?: boolean; children: ComponentChildren }): JSX.Element {
  return (
    <div>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ComponentChildren }): JSX.Element {
  return (
    <section class="span-section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}
