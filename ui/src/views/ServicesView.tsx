/** `/services`: every service's RED figures; `/services/:service`: one service's overview. */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { TimeRangePicker } from '../components/TimeRangePicker.js';
import { resolveViewRange } from '../lib/redSeries.js';
import { parseRange, rangeParams } from '../lib/timeRange.js';
import { hrefOf, Link, navigate } from '../router.js';
import { ServiceOverview } from './services/ServiceOverview.js';
import { ServicesList } from './services/ServicesList.js';
import './services/services.css';

export function ServicesView({ service, query }: { service: string | null; query: URLSearchParams }): JSX.Element {
  const choice = parseRange(query);
  const rangeKey = JSON.stringify(choice);
  // Resolved once per range choice, so that every call of the page (and a test reading it) agrees.
  const range = useMemo(() => resolveViewRange(choice, Date.now()), [rangeKey]);
  const operation = query.get('operation');
  const path = service === null ? '/services' : `/services/${encodeURIComponent(service)}`;
  const href = (params: Record<string, string | undefined | null>): string => hrefOf(path, { operation, ...rangeParams(choice), ...params });
  return (
    <div class="services-view">
      <div class="services-toolbar">
        {service !== null && (
          <Link href={hrefOf('/services', rangeParams(choice))} class="back-link">
            ← All services
          </Link>
        )}
        {service === null && <h1>Services</h1>}
        <TimeRangePicker value={choice} onChange={(next) => navigate(hrefOf(path, { operation, ...rangeParams(next) }))} />
      </div>
      {service === null ? (
        <ServicesList range={range} hrefOfService={(name) => hrefOf(`/services/${encodeURIComponent(name)}`, rangeParams(choice))} />
      ) : (
        <ServiceOverview
          key={service}
          service={service}
          operation={operation}
          range={range}
          searchHref={hrefOf('/search', { service, operation, ...rangeParams(choice) })}
          hrefOfOperation={(op) => href({ operation: op })}
        />
      )}
    </div>
  );
}
