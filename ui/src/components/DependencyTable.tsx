/** The service map's edges as a table: the same figures as the drawing, readable by screen readers and sortable by eye. */
import type { JSX } from 'preact';
import type { DependencyEdge } from '../api.js';
import { formatCount, formatDuration, formatPercent } from '../lib/format.js';
import { edgeHealth } from '../lib/serviceMap.js';
import { Link } from '../router.js';

function Endpoint({ name, isPeer, href }: { name: string; isPeer: boolean; href: (service: string) => string }): JSX.Element {
  if (isPeer) {
    return (
      <span>
        {name} <span class="muted">(peer)</span>
      </span>
    );
  }
  return <Link href={href(name)}>{name}</Link>;
}

interface Props {
  edges: DependencyEdge[];
  /** The callees without an overview (see mapNodes). */
  peers: Set<string>;
  serviceHref: (service: string) => string;
}

export function DependencyTable({ edges, peers, serviceHref }: Props): JSX.Element {
  return (
    <table class="data dependency-table">
      <caption class="muted">Calls between services in the range</caption>
      <thead>
        <tr>
          <th scope="col">Caller</th>
          <th scope="col">Callee</th>
          <th scope="col" class="num">Calls</th>
          <th scope="col" class="num">Error rate</th>
          <th scope="col" class="num">p50</th>
          <th scope="col" class="num">p99</th>
        </tr>
      </thead>
      <tbody>
        {edges.map((edge) => (
          <tr data-caller={edge.caller} data-callee={edge.callee}>
            <td>
              <Endpoint name={edge.caller} isPeer={false} href={serviceHref} />
            </td>
            <td>
              <Endpoint name={edge.callee} isPeer={peers.has(edge.callee)} href={serviceHref} />
            </td>
            <td class="num" data-column="calls">
              {formatCount(edge.callCount)}
            </td>
            <td class={`num health-${edgeHealth(edge.errorRate)}`} data-column="errors">
              {formatPercent(edge.errorRate)}
            </td>
            <td class="num">{formatDuration(edge.p50Ns)}</td>
            <td class="num">{formatDuration(edge.p99Ns)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
