/**
 * `/services`: every service's RED figures; `/services/:service`: one service's overview. The URL
 * keeps the range, the operation and which span kinds count (`kind`, entry spans by default).
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { TimeRangePicker } from '../components/TimeRangePicker.js';
import { KIND_CHOICES, kindLabel, kindParam, parseKindChoice, resolveViewRange } from '../lib/redSeries.js';
import { parseRange, rangeParams } from '../lib/timeRange.js';
import { hrefOf, Link, navigate } from '../router.js';
import { ServiceOverview } from './services/ServiceOverview.js';
import { ServicesList } from './services/ServicesList.js';
import './services/services.css';
import './services/spanKinds.css';

/** Which spans the figures count; a list from a shared link that is no choice here stays selectable. */
function KindSelect({ value, onChange }: { value: string; onChange: (kind: string) => void }): JSX.Element {
  return (
    <span class="kind-select">
      <label for="services-kind">Count</label>
      <select id="services-kind" value={value} onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}>
        {!KIND_CHOICES.some((choice) => choice.value === value) && <option value={value}>{kindLabel(value)}</option>}
        {KIND_CHOICES.map((choice) => (
          <option value={choice.value}>{choice.label}</option>
        ))}
      </select>
    </span>
  );
}

export function ServicesView({ service, query }: { service: string | null; query: URLSearchParams }): JSX.Element {
  const choice = parseRange(query);
  const rangeKey = JSON.stringify(choice);
  // Resolved once per range choice, so that every call of the page (and a test reading it) agrees.
  const range = useMemo(() => resolveViewRange(choice, Date.now()), [rangeKey]);
  const operation = query.get('operation');
  const kind = parseKindChoice(query.get('kind'));
  const kindOf = { kind: kindParam(kind) };
  const path = service === null ? '/services' : `/services/${encodeURIComponent(service)}`;
  const href = (params: Record<string, string | undefined | null>): string => hrefOf(path, { operation, ...kindOf, ...rangeParams(choice), ...params });
  return (
    <div class="services-view">
      <div class="services-toolbar">
        {service !== null && (
          <Link href={hrefOf('/services', { ...kindOf, ...rangeParams(choice) })} class="back-link">
            ← All services
          </Link>
        )}
        {service === null && <h1>Services</h1>}
        <KindSelect value={kind} onChange={(next) => navigate(href({ kind: kindParam(next) }))} />
        <TimeRangePicker value={choice} onChange={(next) => navigate(hrefOf(path, { operation, ...kindOf, ...rangeParams(next) }))} />
      </div>
      {service === null ? (
        <ServicesList range={range} kind={kind} hrefOfService={(name) => hrefOf(`/services/${encodeURIComponent(name)}`, { ...kindOf, ...rangeParams(choice) })} />
      ) : (
        <ServiceOverview
          key={service}
          service={service}
          operation={operation}
          range={range}
          kind={kind}
          searchHref={hrefOf('/search', { service, operation, ...rangeParams(choice) })}
          hrefOfOperation={(op) => href({ operation: op })}
        />
      )}
    </div>
  );
}
