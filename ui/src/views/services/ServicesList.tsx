/** Every service seen in the range with its request rate, error rate and percentiles; a row opens its overview. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type LatencyResult } from '../../api.js';
import { ServiceChip } from '../../components/ServiceChip.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { useApi } from '../../components/useApi.js';
import { countedCaption, summaryParams, type ResolvedRange } from '../../lib/redSeries.js';
import { Link, navigate } from '../../router.js';
import { RedCells, RedHeaders, rowActions } from './RedTable.js';

type Counted = Pick<LatencyResult, 'spanKinds' | 'rootSpans'>;

function ServiceRow(props: { service: string; range: ResolvedRange; kind: string; href: string; onCounted: (counted: Counted) => void }): JSX.Element {
  const { service, range, kind, href } = props;
  const params = summaryParams(service, range, kind);
  const figures = useApi(JSON.stringify(params), (signal) => api.latency(params, signal));
  useEffect(() => {
    if (figures.state === 'ready') props.onCounted(figures.data);
  }, [figures]);
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

export function ServicesList({ range, kind, hrefOfService }: { range: ResolvedRange; kind: string; hrefOfService: (service: string) => string }): JSX.Element {
  const services = useApi(`${range.start}-${range.end}`, (signal) => api.services({ start: range.start, end: range.end }, signal));
  // Every row asks with the same kind, so the first answer says what they all count.
  const [counted, setCounted] = useState<{ kind: string; caption: string } | null>(null);
  const onCounted = (answer: Counted): void => {
    const caption = countedCaption(answer);
    if (counted?.kind !== kind || counted.caption !== caption) setCounted({ kind, caption });
  };
  if (services.state === 'idle' || services.state === 'loading') return <Loading what="services" />;
  if (services.state === 'error') return <ErrorState error={services.error} what="services" />;
  if (services.data.services.length === 0) return <Empty>No service sent spans in this time range. Try a wider range.</Empty>;
  return (
    <>
      <p class="counted-kinds" role="note">
        {counted?.kind === kind ? counted.caption : '\u00a0'}
      </p>
      <table class="data services-table">
        <thead>
          <tr>
            <th>Service</th>
            <RedHeaders />
          </tr>
        </thead>
        <tbody>
          {services.data.services.map((service) => (
            <ServiceRow service={service} range={range} kind={kind} href={hrefOfService(service)} onCounted={onCounted} />
          ))}
        </tbody>
      </table>
    </>
  );
}
