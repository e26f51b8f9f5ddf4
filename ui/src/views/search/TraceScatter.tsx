/** Trace duration over start time as an SVG scatter plot; a dot opens its trace on click or Enter. */
import type { JSX } from 'preact';
import type { TraceSummary } from '../../api.js';
import { useElementWidth } from '../../components/useElementWidth.js';
import { useTimeZone } from '../../components/useTimeZone.js';
import { formatDuration, formatTime, nsToMs, zoneName } from '../../lib/format.js';
import { scatterLayout } from '../../lib/plotScales.js';
import { navigate } from '../../router.js';
import { traceHref } from './TraceList.js';

const HEIGHT = 232;
// The bottom margin holds the time labels and, under them, the zone they are in.
const MARGIN = { left: 64, right: 16, top: 12, bottom: 40 };

export function TraceScatter({ traces }: { traces: TraceSummary[] }): JSX.Element {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const zone = useTimeZone();
  const box = { width, height: HEIGHT, ...MARGIN };
  const layout =
    width > 0
      ? scatterLayout(
          traces.map((t) => ({ traceId: t.traceId, timeMs: nsToMs(t.startTimeUnixNano), durationNs: Number(t.durationNs), spanCount: t.spanCount, error: t.errorCount > 0 })),
          box,
          zone,
        )
      : null;
  const byId = new Map(traces.map((t) => [t.traceId, t]));
  return (
    <div class="scatter" ref={ref}>
      {layout && (
        <svg width={width} height={HEIGHT} role="group" aria-label="Trace duration over time">
          {layout.yTicks.map((tick) => (
            <g class="tick">
              <line x1={MARGIN.left} x2={width - MARGIN.right} y1={tick.y} y2={tick.y} />
              <text x={MARGIN.left - 6} y={tick.y} text-anchor="end" dominant-baseline="middle">
                {tick.label}
              </text>
            </g>
          ))}
          {layout.xTicks.map((tick) => (
            <g class="tick">
              <line x1={tick.x} x2={tick.x} y1={HEIGHT - MARGIN.bottom} y2={HEIGHT - MARGIN.bottom + 4} />
              <text x={tick.x} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
                {tick.label}
              </text>
            </g>
          ))}
          <text class="zone-note" x={width - MARGIN.right} y={HEIGHT - 4} text-anchor="end">
            start time, {zoneName(zone)}
          </text>
          <line class="axis" x1={MARGIN.left} x2={width - MARGIN.right} y1={HEIGHT - MARGIN.bottom} y2={HEIGHT - MARGIN.bottom} />
          {layout.points.map((point) => {
            const trace = byId.get(point.traceId)!;
            const label = `${trace.rootService}: ${trace.rootOperation}, ${formatDuration(trace.durationNs)} at ${formatTime(trace.startTimeUnixNano, zone)}, ${trace.spanCount} spans${trace.errorCount > 0 ? `, ${trace.errorCount} errors` : ''}`;
            return (
              <circle
                class={point.error ? 'point error' : 'point'}
                cx={point.x}
                cy={point.y}
                r={point.r}
                tabIndex={0}
                role="link"
                aria-label={label}
                data-trace-id={point.traceId}
                onClick={() => navigate(traceHref(point.traceId))}
                onKeyDown={(event) => {
                  if (event.key === 'Enter') navigate(traceHref(point.traceId));
                }}
              >
                <title>{label}</title>
              </circle>
            );
          })}
        </svg>
      )}
    </div>
  );
}
