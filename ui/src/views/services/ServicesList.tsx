/** Every service seen in the range with its request rate, error rate and percentiles; a row opens its overview. */
import type { JSX } from 'preact';
import { api } from '../../api.js';
import { ServiceChip } from '../../components/ServiceChip.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { useApi } from '../../components/useApi.js';
import { summaryParams, type ResolvedRange } from '../../lib/redSeries.js';
import { Link, navigate } from '../../router.js';
import { RedCells, RedHeaders, rowActions } from './RedTable.js';

function ServiceRow({ service, range, href }: { service: string; range: ResolvedRange; href: string }): JSX.Element {
  const params = summaryParams(service, range);
  const figures = useApi(JSON.stringify(params), (signal) => api.latency(params, signal));
  return (
    <tr class="link-row" data-service={service} {...rowActions(() => navigate(href))}>
      <td>
        <Link href={href} tabIndex={-1} class="row-link">
          <ServiceChip service={service} />
        </Link>
      </td>
      {figures.state === 'ready' ? (
        <RedCells figures={figures.data.summary} />
      ) : (
        <td colSpan={6} class={figures.state === 'error' ? 'error-text' : 'muted'}>
          {figures.state === 'error' ? figures.error.message : 'Loading…'}
        </td>
      )}
    </tr>
  );
}

export function ServicesList({ range, hrefOfService }: { range: ResolvedRange; hrefOfService: (service: string) => string }): JSX.Element {
  const services = useApi(`${range.start}-${range.end}`, (signal) => api.services({ start: range.start, end: range.end }, signal));
  if (services.state === 'idle' || services.state === 'loading') return <Loading what="services" />;
  if (services.state === 'error') return <ErrorState error={services.error} what="services" />;
  if (services.data.services.length === 0) return <Empty>No service sent spans in this time range. Try a wider range.</Empty>;
  return (
    <table class="data services-table">
      <thead>
        <tr>
          <th>Service</th>
          <RedHeaders />
        </tr>
      </thead>
      <tbody>
        {services.data.services.map((service) => (
          <ServiceRow service={service} range={range} href={hrefOfService(service)} />
        ))}
      </tbody>
    </table>
  );
}
