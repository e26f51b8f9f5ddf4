/**
 * One service (or one of its operations) over the range: summary figures, request rate, error rate
 * and latency charts, and its operations table, where a click narrows the overview to that operation.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { api, type LatencyResult } from '../../api.js';
import { ServiceChip } from '../../components/ServiceChip.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { useApi } from '../../components/useApi.js';
import { formatCount, formatDuration, formatPercent, formatRate } from '../../lib/format.js';
import { countedCaption, overviewParams, redSeries, sortOperations, SHOWN_PERCENTILES, type ResolvedRange } from '../../lib/redSeries.js';
import { Link, navigate } from '../../router.js';
import { RedCells, RedHeaders, rowActions } from './RedTable.js';
import { UPlotChart, type ChartSeries } from './UPlotChart.js';

const PERCENTILE_COLORS = ['--accent', '--critical', '--error'];
const formatMs = (ms: number): string => formatDuration(ms * 1e6);

function SummaryFigures({ result }: { result: LatencyResult }): JSX.Element {
  const s = result.summary;
  const figures: Array<[string, string, string]> = [
    ['requests', 'Requests', formatCount(s.requests)],
    ['rate', 'Rate', formatRate(s.requestRate)],
    ['errorRate', 'Error rate', formatPercent(s.errorRate)],
    ...SHOWN_PERCENTILES.map((p): [string, string, string] => [p, p, formatDuration(s.percentiles[p])]),
  ];
  return (
    <dl class="summary-figures">
      {figures.map(([key, label, value]) => (
        <div class="figure" data-figure={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Charts({ result }: { result: LatencyResult }): JSX.Element {
  const { times, rate, errors, latency } = useMemo(() => {
    const series = redSeries(result);
    return {
      times: series.times,
      rate: [{ label: 'requests/s', colorVar: '--accent', values: series.requestRate }] as ChartSeries[],
      errors: [{ label: 'error rate', colorVar: '--error', values: series.errorRate }] as ChartSeries[],
      latency: SHOWN_PERCENTILES.map((p, i) => ({ label: p, colorVar: PERCENTILE_COLORS[i]!, values: series.latencyMs[p]! })),
    };
  }, [result]);
  return (
    <div class="charts">
      <UPlotChart title="Request rate" times={times} series={rate} format={formatRate} />
      <UPlotChart title="Error rate" times={times} series={errors} format={formatPercent} />
      <UPlotChart title="Latency" times={times} series={latency} format={formatMs} />
    </div>
  );
}

function OperationsTable({ result, selected, hrefOfOperation }: { result: LatencyResult; selected: string | null; hrefOfOperation: (operation: string | null) => string }): JSX.Element {
  const operations = sortOperations(result.byOperation ?? []);
  return (
    <table class="data operations-table">
      <thead>
        <tr>
          <th>Operation</th>
          <RedHeaders />
        </tr>
      </thead>
      <tbody>
        {operations.map((op) => {
          const href = hrefOfOperation(op.operation === selected ? null : op.operation);
          return (
            <tr class={op.operation === selected ? 'link-row selected' : 'link-row'} data-operation={op.operation} aria-selected={op.operation === selected} {...rowActions(() => navigate(href))}>
              <td>
                <Link href={href} tabIndex={-1} class="row-link">
                  {op.operation}
                </Link>
              </td>
              <RedCells figures={op} />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ServiceOverview(props: {
  service: string;
  operation: string | null;
  range: ResolvedRange;
  /** Which spans count (see KIND_CHOICES). */
  kind: string;
  searchHref: string;
  hrefOfOperation: (operation: string | null) => string;
}): JSX.Element {
  const { service, operation, range, kind } = props;
  // The table always lists every operation; the figures and charts follow the chosen one.
  const allParams = overviewParams(service, null, range, kind);
  const all = useApi(JSON.stringify(allParams), (signal) => api.latency(allParams, signal));
  const oneParams = overviewParams(service, operation, range, kind);
  const one = useApi(JSON.stringify(oneParams), (signal) => (operation === null ? null : api.latency(oneParams, signal)));
  const shown = operation === null ? all : one;
  return (
    <div class="service-overview" data-range-start={range.start} data-range-end={range.end} data-step={range.step}>
      <div class="overview-head">
        <h1>
          <ServiceChip service={service} />
        </h1>
        {operation !== null && (
          <span class="operation-filter">
            operation <strong>{operation}</strong>
            <Link href={props.hrefOfOperation(null)} class="clear-operation" aria-label="Clear the operation filter">
              ✕ all operations
            </Link>
          </span>
        )}
        <Link href={props.searchHref} class="search-link">
          Search these traces →
        </Link>
      </div>
      <p class="counted-kinds" role="note">
        {shown.state === 'ready' ? countedCaption(shown.data) : '\u00a0'}
      </p>
      {shown.state === 'error' ? (
        <ErrorState error={shown.error} what="latency" />
      ) : shown.state !== 'ready' ? (
        <Loading what="latency" />
      ) : shown.data.summary.spans === 0 ? (
        <Empty>No spans of {operation ?? service} of these kinds in this time range. Try a wider range or other span kinds.</Empty>
      ) : (
        <>
          <SummaryFigures result={shown.data} />
          <Charts result={shown.data} />
        </>
      )}
      <h2>Operations</h2>
      {all.state === 'error' ? (
        <ErrorState error={all.error} what="operations" />
      ) : all.state !== 'ready' ? (
        <Loading what="operations" />
      ) : (
        <OperationsTable result={all.data} selected={operation} hrefOfOperation={props.hrefOfOperation} />
      )}
    </div>
  );
}
