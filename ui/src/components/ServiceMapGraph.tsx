/**
 * The dependency graph as SVG: services as boxes in their colour (peers dashed), calls as arrows
 * labelled with calls, errors and latency, thicker with more calls and amber or red with errors.
 * Pointing at or focusing a service brings its edges forward; a click or Enter opens its overview.
 */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { DependencyEdge } from '../api.js';
import { formatCount, formatDuration, formatPercent } from '../lib/format.js';
import { edgePath, layoutGraph } from '../lib/mapLayout.js';
import { edgeHealth, edgeKey, edgeLabel, edgeStroke, mapNodes, textWidth, type EdgeHealth } from '../lib/serviceMap.js';
import { serviceColor } from '../lib/serviceColor.js';

const NODE_FONT = 13;
const NODE_HEIGHT = 34;
/** Left padding holds the colour dot. */
const NODE_PAD_LEFT = 26;
const NODE_PAD_RIGHT = 14;
/** Node names are bold: measured as one size up. */
const NODE_MEASURE_FONT = NODE_FONT + 1.5;
const LABEL_FONT = 11;
const LABEL_LINE = 14;
const LABEL_PAD = 6;
const ARROW = 9;
const HEALTHS: EdgeHealth[] = ['ok', 'warning', 'failing'];

export function ServiceMapGraph({ edges, onOpen }: { edges: DependencyEdge[]; onOpen: (service: string) => void }): JSX.Element {
  const [focus, setFocus] = useState<string | null>(null);
  const graph = useMemo(() => {
    const nodes = mapNodes(edges);
    const labels = new Map(edges.map((edge) => [edgeKey(edge), edgeLabel(edge)]));
    const layout = layoutGraph(
      nodes.map((node) => ({ id: node.id, width: NODE_PAD_LEFT + textWidth(node.id, NODE_MEASURE_FONT) + NODE_PAD_RIGHT, height: NODE_HEIGHT })),
      edges.map((edge) => {
        const lines = labels.get(edgeKey(edge))!;
        return {
          id: edgeKey(edge),
          from: edge.caller,
          to: edge.callee,
          labelWidth: Math.max(...lines.map((line) => textWidth(line, LABEL_FONT))) + 2 * LABEL_PAD,
          labelHeight: lines.length * LABEL_LINE + LABEL_PAD,
        };
      }),
    );
    return { nodes, labels, layout, peers: new Set(nodes.filter((n) => n.isPeer).map((n) => n.id)) };
  }, [edges]);
  const { layout, labels, peers } = graph;
  const byKey = new Map(edges.map((edge) => [edgeKey(edge), edge]));
  const maxCalls = Math.max(...edges.map((edge) => edge.callCount));
  const related = (edge: DependencyEdge): boolean => focus === edge.caller || focus === edge.callee;

  return (
    <svg
      class={focus === null ? 'service-map' : 'service-map has-focus'}
      viewBox={`0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`}
      style={{ maxWidth: `${Math.ceil(layout.width)}px` }}
      role="group"
      aria-label="Service map: services and the calls between them"
    >
      <defs>
        {HEALTHS.map((health) => (
          <marker id={`map-arrow-${health}`} class={`map-arrow map-arrow-${health}`} viewBox="0 0 10 10" refX="1" refY="5" markerWidth={ARROW} markerHeight={ARROW} markerUnits="userSpaceOnUse" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        ))}
      </defs>
      <g class="map-edges">
        {layout.edges.map((placed) => {
          const edge = byKey.get(placed.id)!;
          const health = edgeHealth(edge.errorRate);
          return (
            <path
              class={`map-edge map-edge-${health}${related(edge) ? ' is-related' : ''}`}
              d={edgePath(placed.points, ARROW - 1)}
              stroke-width={edgeStroke(edge.callCount, maxCalls)}
              marker-end={`url(#map-arrow-${health})`}
              data-caller={edge.caller}
              data-callee={edge.callee}
              data-calls={String(edge.callCount)}
              data-health={health}
            >
              <title>{edgeTitle(edge)}</title>
            </path>
          );
        })}
      </g>
      <g class="map-labels">
        {layout.edges.map((placed) => {
          const edge = byKey.get(placed.id)!;
          const lines = labels.get(placed.id)!;
          const width = Math.max(...lines.map((line) => textWidth(line, LABEL_FONT))) + 2 * LABEL_PAD;
          const height = lines.length * LABEL_LINE + LABEL_PAD;
          return (
            <g
              class={`map-edge-label map-edge-label-${edgeHealth(edge.errorRate)}${related(edge) ? ' is-related' : ''}`}
              transform={`translate(${placed.label.x - width / 2},${placed.label.y - height / 2})`}
              data-caller={edge.caller}
              data-callee={edge.callee}
            >
              <title>{edgeTitle(edge)}</title>
              <rect width={width} height={height} rx="4" />
              <text x={width / 2} y={LABEL_PAD / 2 + LABEL_LINE - 3} text-anchor="middle">
                {lines.map((line, i) => (
                  <tspan x={width / 2} dy={i === 0 ? 0 : LABEL_LINE}>
                    {line}
                  </tspan>
                ))}
              </text>
            </g>
          );
        })}
      </g>
      <g class="map-nodes">
        {layout.nodes.map((node) => (
          <MapNode
            id={node.id}
            isPeer={peers.has(node.id)}
            x={node.x - node.width / 2}
            y={node.y - node.height / 2}
            width={node.width}
            height={node.height}
            onOpen={onOpen}
            onFocus={setFocus}
          />
        ))}
      </g>
    </svg>
  );
}

function edgeTitle(edge: DependencyEdge): string {
  return `${edge.caller} → ${edge.callee}: ${formatCount(edge.callCount)} calls, ${formatPercent(edge.errorRate)} errors, p50 ${formatDuration(edge.p50Ns)}, p99 ${formatDuration(edge.p99Ns)}`;
}

interface MapNodeProps {
  id: string;
  isPeer: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  onOpen: (service: string) => void;
  onFocus: (service: string | null) => void;
}

/** A service box: a link to its overview. A peer has no overview, so it is only a picture. */
function MapNode({ id, isPeer, x, y, width, height, onOpen, onFocus }: MapNodeProps): JSX.Element {
  const color = serviceColor(id);
  const open = isPeer ? undefined : () => onOpen(id);
  return (
    <g
      class={isPeer ? 'map-node map-node-peer' : 'map-node'}
      transform={`translate(${x},${y})`}
      data-service={id}
      data-peer={String(isPeer)}
      role={isPeer ? 'img' : 'link'}
      tabIndex={isPeer ? undefined : 0}
      aria-label={isPeer ? `${id} (not instrumented)` : `${id}: open the service overview`}
      onClick={open}
      onKeyDown={(event) => {
        if (open === undefined || event.key !== 'Enter') return;
        event.preventDefault();
        open();
      }}
      onMouseEnter={() => onFocus(id)}
      onMouseLeave={() => onFocus(null)}
      onFocus={() => onFocus(id)}
      onBlur={() => onFocus(null)}
    >
      <title>{isPeer ? `${id}: called by the services, not instrumented itself` : `${id}: open the service overview`}</title>
      <rect width={width} height={height} rx="7" style={{ stroke: color }} />
      <circle cx={14} cy={height / 2} r={5} style={{ fill: isPeer ? 'none' : color, stroke: color }} />
      <text x={NODE_PAD_LEFT} y={height / 2} dominant-baseline="central">
        {id}
      </text>
    </g>
  );
}
