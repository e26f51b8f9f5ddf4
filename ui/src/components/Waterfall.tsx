/**
 * The call tree as a waterfall: one fixed-height row per visible span, a bar on a shared time axis.
 * Only the rows on screen are in the DOM (absolutely placed inside a spacer as tall as all rows), so a
 * 100,000-span trace scrolls as smoothly as a small one. Keyboard: arrows move, Enter/Space select,
 * Left/Right collapse/expand (or go to the parent / first child), Home/End, PageUp/PageDown.
 */
import type { JSX } from 'preact';
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CallTree, SpanNode } from '../api.js';
import { segmentGeometry } from '../lib/criticalSegments.js';
import { formatDuration } from '../lib/format.js';
import { serviceColor } from '../lib/serviceColor.js';
import { descendantCounts } from '../lib/subtreeSizes.js';
import { barGeometry, eventMarks, labelPlacement, offsetNs, timeTicks } from '../lib/timeAxis.js';
import { scrollToRow, virtualWindow } from '../lib/traceRows.js';

const ROW_HEIGHT = 28;
const INDENT_PX = 14;
/** Deeper spans stop moving right, so that a very deep chain keeps its names readable. */
const MAX_INDENT_LEVELS = 24;
/** The name column's width as the user last dragged it, kept across traces. */
const LABEL_WIDTH_KEY = 'ducktrace.waterfall.labelWidth';
const MIN_LABEL_PX = 120;
/** The timeline keeps at least this much of the waterfall. */
const MIN_TIMELINE_PX = 160;
const LABEL_STEP_PX = 24;

interface WaterfallProps {
  trace: CallTree;
  /** Indices into trace.spans of the rows shown, in order. */
  rows: readonly number[];
  collapsed: ReadonlySet<string>;
  parents: Int32Array;
  selected: number | null;
  matches: ReadonlySet<number>;
  onSelect(index: number): void;
  onToggle(index: number): void;
}

export function Waterfall({ trace, rows, collapsed, parents, selected, matches, onSelect, onToggle }: WaterfallProps): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(600);
  const [focused, setFocused] = useState<number | null>(null);
  const moveFocus = useRef(false);
  const container = useRef<HTMLDivElement>(null);
  const [labelWidth, setLabelWidth] = useState<number | null>(storedLabelWidth);

  const rowOf = useMemo(() => {
    const positions = new Int32Array(trace.spans.length).fill(-1);
    rows.forEach((span, row) => (positions[span] = row));
    return positions;
  }, [trace, rows]);
  const durationNs = Number(trace.durationNs);
  const hiddenCounts = useMemo(() => descendantCounts(trace.spans), [trace]);
  const ticks = useMemo(() => timeTicks(durationNs, 6), [durationNs]);

  useLayoutEffect(() => {
    const element = scroller.current!;
    const observer = new ResizeObserver(() => setViewportHeight(element.clientHeight));
    observer.observe(element);
    setViewportHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  const reveal = (span: number): void => {
    const element = scroller.current;
    const row = rowOf[span] ?? -1;
    if (!element || row < 0) return;
    const target = scrollToRow(row, element.scrollTop, element.clientHeight, ROW_HEIGHT);
    if (target !== null) {
      element.scrollTop = target;
      setScrollTop(target);
    }
  };

  // A selection made elsewhere (a deep link, a find jump) scrolls into view; a click is already in view.
  useLayoutEffect(() => {
    if (selected !== null) reveal(selected);
  }, [selected]);

  // Keyboard moves focus to a row that may only now have been rendered; before the next key press.
  useLayoutEffect(() => {
    if (!moveFocus.current || focused === null) return;
    moveFocus.current = false;
    scroller.current?.querySelector<HTMLElement>(`[data-index="${focused}"]`)?.focus();
  });

  const [shownLabelWidth, setShownLabelWidth] = useState(0);
  const axisLabel = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const element = axisLabel.current!;
    const observer = new ResizeObserver(() => setShownLabelWidth(element.offsetWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const dragging = useRef(false);
  const resizeTo = (px: number): number => {
    const total = container.current?.clientWidth ?? px + MIN_TIMELINE_PX;
    const width = Math.round(Math.max(MIN_LABEL_PX, Math.min(px, total - MIN_TIMELINE_PX)));
    setLabelWidth(width);
    return width;
  };
  const onResizeKey = (event: KeyboardEvent): void => {
    const step = event.key === 'ArrowLeft' ? -LABEL_STEP_PX : event.key === 'ArrowRight' ? LABEL_STEP_PX : 0;
    if (step === 0) return;
    event.preventDefault();
    storeLabelWidth(resizeTo(shownLabelWidth + step));
  };

  const range = virtualWindow(scrollTop, viewportHeight, ROW_HEIGHT, rows.length);
  const focusTarget = focused !== null && rowOf[focused]! >= 0 ? focused : selected !== null && rowOf[selected]! >= 0 ? selected : rows[range.start];
  const focusable = focusTarget !== undefined && rowOf[focusTarget]! >= range.start && rowOf[focusTarget]! < range.end ? focusTarget : rows[range.start];

  const goTo = (span: number | undefined): void => {
    if (span === undefined) return;
    moveFocus.current = true;
    setFocused(span);
    reveal(span);
  };

  const onKeyDown = (event: KeyboardEvent, span: number): void => {
    const row = rowOf[span]!;
    const node = trace.spans[span]!;
    const page = Math.max(1, Math.floor(viewportHeight / ROW_HEIGHT) - 1);
    const expanded = node.childSpanIds.length > 0 && !collapsed.has(node.spanId);
    switch (event.key) {
      case 'ArrowDown':
        goTo(rows[row + 1]);
        break;
      case 'ArrowUp':
        goTo(rows[row - 1]);
        break;
      case 'PageDown':
        goTo(rows[Math.min(rows.length - 1, row + page)]);
        break;
      case 'PageUp':
        goTo(rows[Math.max(0, row - page)]);
        break;
      case 'Home':
        goTo(rows[0]);
        break;
      case 'End':
        goTo(rows[rows.length - 1]);
        break;
      case 'ArrowRight':
        if (node.childSpanIds.length === 0) return;
        if (expanded) goTo(rows[row + 1]);
        else onToggle(span);
        break;
      case 'ArrowLeft':
        if (expanded) onToggle(span);
        else if (parents[span]! >= 0) goTo(parents[span]!);
        break;
      case 'Enter':
      case ' ':
        onSelect(span);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const visible: JSX.Element[] = [];
  for (let row = range.start; row < range.end; row++) {
    const index = rows[row]!;
    visible.push(
      <Row
        key={trace.spans[index]!.spanId + index}
        index={index}
        row={row}
        span={trace.spans[index]!}
        trace={trace}
        durationNs={durationNs}
        collapsed={collapsed.has(trace.spans[index]!.spanId)}
        hiddenCount={hiddenCounts[index]!}
        selected={selected === index}
        match={matches.has(index)}
        focusable={focusable === index}
        onSelect={() => {
          setFocused(index);
          onSelect(index);
        }}
        onToggle={() => onToggle(index)}
        onKeyDown={(event) => onKeyDown(event, index)}
      />,
    );
  }

  return (
    <div class="waterfall">
      <div class="wf-legend">
        <span>
          <span class="wf-legend-path" aria-hidden="true" /> Critical path: the stretches of a span that the trace’s end waited on
        </span>
        <span>
          <span class="wf-legend-event" aria-hidden="true" /> Event
        </span>
      </div>
      {/* A dragged width gives way to the timeline's minimum when the window narrows. */}
      <div class="wf-body" ref={container} style={labelWidth === null ? undefined : { '--wf-label-width': `min(${labelWidth}px, 100% - ${MIN_TIMELINE_PX}px)` }}>
        <div
          class="wf-resize"
          role="separator"
          aria-orientation="vertical"
          aria-label="Width of the service and operation column"
          aria-valuenow={shownLabelWidth}
          aria-valuemin={MIN_LABEL_PX}
          title="Drag to resize the column; double-click to reset"
          tabIndex={0}
          onPointerDown={(event) => {
            event.preventDefault();
            event.currentTarget.setPointerCapture(event.pointerId);
            dragging.current = true;
          }}
          onPointerMove={(event) => {
            if (dragging.current) resizeTo(event.clientX - container.current!.getBoundingClientRect().left);
          }}
          onPointerUp={(event) => {
            if (!dragging.current) return;
            dragging.current = false;
            storeLabelWidth(resizeTo(event.clientX - container.current!.getBoundingClientRect().left));
          }}
          onDblClick={() => {
            setLabelWidth(null);
            storeLabelWidth(null);
          }}
          onKeyDown={onResizeKey}
        />
        <div class="wf-axis" aria-hidden="true">
          <div class="wf-axis-label" ref={axisLabel}>
            Service · operation
          </div>
          <div class="wf-axis-ticks">
            {ticks.map((tick) => (
              <span class="wf-tick" style={{ left: `${tick.fraction * 100}%` }}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
        <div class="wf-viewport">
          <div class="wf-gridlines" aria-hidden="true">
            {ticks.map((tick) => (
              <span style={{ left: `${tick.fraction * 100}%` }} />
            ))}
          </div>
          <div class="wf-scroll" ref={scroller} onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
            <div class="wf-spacer" role="tree" aria-label="Spans" aria-multiselectable="false" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
              {visible}
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  index: number;
  row: number;
  span: SpanNode;
  trace: CallTree;
  durationNs: number;
  collapsed: boolean;
  /** Spans in the subtree below this one: what collapsing it hides. */
  hiddenCount: number;
  selected: boolean;
  match: boolean;
  focusable: boolean;
  onSelect(): void;
  onToggle(): void;
  onKeyDown(event: KeyboardEvent): void;
}

function Row({ index, row, span, trace, durationNs, collapsed, hiddenCount, selected, match, focusable, onSelect, onToggle, onKeyDown }: RowProps): JSX.Element {
  const startNs = offsetNs(trace.startTimeUnixNano, span.startTimeUnixNano);
  const spanDurationNs = Number(span.durationNs);
  const bar = barGeometry(startNs, spanDurationNs, durationNs);
  const color = serviceColor(span.service);
  const hasChildren = span.childSpanIds.length > 0;
  const error = span.status.code === 'ERROR';
  const classes = ['wf-row', selected && 'selected', match && 'match', span.onCriticalPath && 'critical', error && 'error'].filter(Boolean).join(' ');
  const placement = labelPlacement(bar);
  return (
    <div
      class={classes}
      role="treeitem"
      aria-level={span.depth + 1}
      aria-expanded={hasChildren ? !collapsed : undefined}
      aria-selected={selected}
      tabIndex={focusable ? 0 : -1}
      data-index={index}
      data-span-id={span.spanId}
      data-depth={span.depth}
      data-critical={span.onCriticalPath ? 'true' : undefined}
      data-match={match ? 'true' : undefined}
      style={{ top: `${row * ROW_HEIGHT}px`, height: `${ROW_HEIGHT}px` }}
      onClick={onSelect}
      onKeyDown={onKeyDown}
    >
      <div class="wf-label" style={{ paddingLeft: `${Math.min(span.depth, MAX_INDENT_LEVELS) * INDENT_PX + 4}px` }} title={`${span.service} · ${span.name} (depth ${span.depth})`}>
        {hasChildren ? (
          <button
            type="button"
            class="wf-toggle"
            tabIndex={-1}
            aria-label={collapsed ? `Expand ${span.name}` : `Collapse ${span.name}`}
            onClick={(event) => {
              event.stopPropagation();
              onToggle();
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="wf-toggle-space" />
        )}
        <span class="service-dot" style={{ background: color }} aria-hidden="true" />
        <span class="wf-service">{span.service}</span>
        <span class="wf-name">
          {error && <span class="wf-error-mark" aria-label="error">!</span>}
          {span.name}
        </span>
        {collapsed && (
          <span class="wf-hidden-count muted" title={`${hiddenCount} ${hiddenCount === 1 ? 'span' : 'spans'} hidden`}>
            +{hiddenCount}
          </span>
        )}
      </div>
      <div class="wf-timeline">
        {segmentGeometry(trace.startTimeUnixNano, durationNs, span.criticalPathSegments).map((segment) => (
          <span class="wf-critical" aria-hidden="true" style={{ left: `${segment.left * 100}%`, width: `${segment.width * 100}%` }} />
        ))}
        <div
          class="wf-bar"
          style={{ left: `${bar.left * 100}%`, width: `${bar.width * 100}%`, background: color }}
          title={span.onCriticalPath ? `on the critical path for ${formatDuration(span.criticalPathNs)}` : undefined}
        >
          {eventMarks(span.startTimeUnixNano, spanDurationNs, span.events).map((at, i) => (
            <span class="wf-event" style={{ left: `${at * 100}%` }} title={`${span.events[i]!.name} at +${formatDuration(offsetNs(span.startTimeUnixNano, span.events[i]!.timeUnixNano))}`} />
          ))}
        </div>
        <span
          class={`wf-duration ${placement}`}
          style={
            placement === 'right'
              ? { left: `calc(${(bar.left + bar.width) * 100}% + 4px)` }
              : placement === 'left'
                ? { right: `calc(${(1 - bar.left) * 100}% + 10px)` }
                : { left: `calc(${bar.left * 100}% + 6px)` }
          }
        >
          {formatDuration(span.durationNs)}
        </span>
      </div>
    </div>
  );
}

function storedLabelWidth(): number | null {
  try {
    const width = Number(localStorage.getItem(LABEL_WIDTH_KEY));
    return Number.isFinite(width) && width >= MIN_LABEL_PX ? width : null;
  } catch {
    // Storage can be refused (privacy settings): the column then starts at its default width.
    return null;
  }
}

function storeLabelWidth(width: number | null): void {
  try {
    if (width === null) localStorage.removeItem(LABEL_WIDTH_KEY);
    else localStorage.setItem(LABEL_WIDTH_KEY, String(width));
  } catch {
    // Without storage the width lasts as long as the view.
  }
}
