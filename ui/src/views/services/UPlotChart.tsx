/**
 * A uPlot time-series chart that fills its container's width and takes its colours from the theme
 * (the CSS variables), drawing again when the container resizes or the system theme flips.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useElementWidth } from '../../components/useElementWidth.js';

export interface ChartSeries {
  label: string;
  /** A theme variable such as `--accent`. */
  colorVar: string;
  values: Array<number | null>;
}

const HEIGHT = 180;

/** Follows the system theme, as the stylesheet does. */
function useDarkScheme(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const update = (): void => setDark(media.matches);
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, []);
  return dark;
}

export function UPlotChart({ title, times, series, format }: { title: string; times: number[]; series: ChartSeries[]; format: (value: number) => string }): JSX.Element {
  const [container, width] = useElementWidth<HTMLDivElement>();
  const target = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const dark = useDarkScheme();

  useEffect(() => {
    if (width === 0 || !target.current) return undefined;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string): string => css.getPropertyValue(name).trim();
    const axis = { stroke: color('--fg-muted'), grid: { stroke: color('--border'), width: 1 }, ticks: { stroke: color('--border'), width: 1 } };
    const plot = new uPlot(
      {
        width,
        height: HEIGHT,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [axis, { ...axis, size: 64, values: (_u, splits) => splits.map(format) }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: color(s.colorVar), width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)) }))],
      },
      [times, ...series.map((s) => s.values)],
      target.current,
    );
    chart.current = plot;
    return () => {
      plot.destroy();
      chart.current = null;
    };
    // Width changes resize the chart below instead of building it anew.
  }, [times, series, dark, target.current !== null && width > 0]);

  useEffect(() => {
    if (width > 0) chart.current?.setSize({ width, height: HEIGHT });
  }, [width]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} class="chart-body">
        <div ref={target} />
      </div>
    </figure>
  );
}
