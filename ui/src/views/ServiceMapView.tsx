/** /map: which services call which over a time range, with the calls' volume, errors and latency. */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api, type DependencyEdge } from '../api.js';
import { DependencyTable } from '../components/DependencyTable.js';
import { ServiceMapGraph } from '../components/ServiceMapGraph.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { TimeRangePicker } from '../components/TimeRangePicker.js';
import { useApi } from '../components/useApi.js';
import { formatPercent } from '../lib/format.js';
import { ERROR_RATE_FAILING, ERROR_RATE_WARNING, mapNodes } from '../lib/serviceMap.js';
import { apiRange, parseRange, rangeParams, type RangeChoice } from '../lib/timeRange.js';
import { hrefOf, navigate } from '../router.js';
import './serviceMap.css';

export function ServiceMapView({ query }: { query: URLSearchParams }): JSX.Element {
  const range = parseRange(query);
  // A relative range ends at the moment of loading; Refresh loads it again up to now.
  const [loads, setLoads] = useState(0);
  const result = useApi(`${JSON.stringify(range)}#${loads}`, (signal) => api.dependencies(apiRange(range, Date.now()), signal));
  const serviceHref = (service: string): string => hrefOf(`/services/${encodeURIComponent(service)}`, rangeParams(range));
  const setRange = (next: RangeChoice): void => navigate(hrefOf('/map', rangeParams(next)));

  return (
    <section class="service-map-view" aria-labelledby="service-map-title">
      <div class="map-header">
        <h1 id="service-map-title">Service map</h1>
        <TimeRangePicker value={range} onChange={setRange} />
        <button type="button" onClick={() => setLoads((n) => n + 1)}>
          Refresh
        </button>
      </div>
      {result.state === 'error' && <ErrorState error={result.error} what="the service dependencies" />}
      {(result.state === 'loading' || result.state === 'idle') && <Loading what="the service map" />}
      {result.state === 'ready' && result.data.edges.length === 0 && <Empty>No calls between services in this range.</Empty>}
      {result.state === 'ready' && result.data.edges.length > 0 && (
        <MapWithTable edges={result.data.edges} serviceHref={serviceHref} onOpen={(service) => navigate(serviceHref(service))} />
      )}
    </section>
  );
}

interface MapWithTableProps {
  edges: DependencyEdge[];
  serviceHref: (service: string) => string;
  onOpen: (service: string) => void;
}

function MapWithTable({ edges, serviceHref, onOpen }: MapWithTableProps): JSX.Element {
  const peers = useMemo(() => new Set(mapNodes(edges).filter((node) => node.isPeer).map((node) => node.id)), [edges]);
  return (
    <>
      <div class="service-map-frame">
        <ServiceMapGraph edges={edges} onOpen={onOpen} />
      </div>
      <MapLegend />
      <DependencyTable edges={edges} peers={peers} serviceHref={serviceHref} />
    </>
  );
}

function MapLegend(): JSX.Element {
  return (
    <ul class="map-legend muted" aria-label="Legend">
      <li>
        <svg width="28" height="10" aria-hidden="true">
          <line class="map-edge map-edge-ok" x1="2" y1="5" x2="26" y2="5" stroke-width="4" />
        </svg>
        thicker with more calls
      </li>
      <li>
        <svg width="28" height="10" aria-hidden="true">
          <line class="map-edge map-edge-warning" x1="2" y1="5" x2="26" y2="5" stroke-width="2" />
        </svg>
        errors ≥ {formatPercent(ERROR_RATE_WARNING)}
      </li>
      <li>
        <svg width="28" height="10" aria-hidden="true">
          <line class="map-edge map-edge-failing" x1="2" y1="5" x2="26" y2="5" stroke-width="2" />
        </svg>
        errors ≥ {formatPercent(ERROR_RATE_FAILING)}
      </li>
      <li>
        <svg width="28" height="14" aria-hidden="true">
          <rect class="map-legend-peer" x="1" y="1" width="26" height="12" rx="3" />
        </svg>
        not instrumented (database, third party)
      </li>
      <li>Click a service, or focus it and press Enter, to open its overview.</li>
    </ul>
  );
}
