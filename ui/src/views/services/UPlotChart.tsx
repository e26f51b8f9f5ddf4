/**
 * A uPlot time-series chart that fills its container's width and takes its colours from the theme
 * (the CSS variables), drawing again when the container resizes, the system theme flips or the
 * time-zone setting changes. Its time axis and legend write times as the rest of the UI does.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useElementWidth } from '../../components/useElementWidth.js';
import { useTimeZone } from '../../components/useTimeZone.js';
import { formatClock, formatDay, formatTimestamp, zoneName, type TimeZoneSetting } from '../../lib/format.js';

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

/** Time labels: the clock at every tick, and the day under the first tick and wherever the day changes. */
function timeAxisValues(zone: TimeZoneSetting): uPlot.Axis.DynamicValues {
  return (_u, splits, _axis, _space, incrementSeconds) =>
    splits.map((seconds, i) => {
      const ms = seconds * 1000;
      const clock = formatClock(ms, zone, incrementSeconds < 60);
      const day = formatDay(ms, zone);
      return i === 0 || formatDay(splits[i - 1]! * 1000, zone) !== day ? `${clock}\n${day}` : clock;
    });
}

export function UPlotChart({ title, times, series, format }: { title: string; times: number[]; series: ChartSeries[]; format: (value: number) => string }): JSX.Element {
  const [container, width] = useElementWidth<HTMLDivElement>();
  const target = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const dark = useDarkScheme();
  const zone = useTimeZone();

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
        // uPlot finds round ticks on the clock of the date this gives (local by default).
        tzDate: (seconds) => (zone === 'utc' ? uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC') : new Date(seconds * 1000)),
        axes: [{ ...axis, values: timeAxisValues(zone) }, { ...axis, size: 64, values: (_u, splits) => splits.map(format) }],
        series: [
          { label: `Time (${zoneName(zone)})`, value: (_u: uPlot, seconds: number | null) => (seconds === null ? '–' : formatTimestamp(seconds * 1000, zone, { withZone: false })) },
          ...series.map((s) => ({ label: s.label, stroke: color(s.colorVar), width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)) })),
        ],
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
  }, [times, series, dark, zone, target.current !== null && width > 0]);

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
