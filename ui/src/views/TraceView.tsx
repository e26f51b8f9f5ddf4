/**
 * One trace at /trace/:id: header, find box, waterfall and the selected span's details. The URL holds
 * the view's state (?span=, &find=, &collapsed=), so every state is a link and survives a reload.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { api, ApiError, type CallTree } from '../api.js';
import { SpanPanel } from '../components/SpanPanel.js';
import { ErrorState, Loading } from '../components/states.js';
import { FindBox } from '../components/FindBox.js';
import { TraceHeader } from '../components/TraceHeader.js';
import { useApi } from '../components/useApi.js';
import { Waterfall } from '../components/Waterfall.js';
import { findSpans, nextMatch } from '../lib/traceFind.js';
import { expandTo, parentIndices, parseCollapsed, serializeCollapsed, visibleRows } from '../lib/traceRows.js';
import { hrefOf, Link, navigate } from '../router.js';
import './traceView.css';

export function TraceView({ traceId, query }: { traceId: string; query: URLSearchParams }): JSX.Element {
  const result = useApi(traceId, (signal) => api.trace(traceId, signal));
  if (result.state === 'idle' || result.state === 'loading') return <Loading what={`trace ${traceId}`} />;
  if (result.state === 'error') {
    if (result.error instanceof ApiError && result.error.status === 404) {
      return (
        <section class="not-found state-empty" aria-labelledby="trace-not-found-title">
          <h1 id="trace-not-found-title">
            Trace not found: <code>{traceId}</code>
          </h1>
          <p>
            No spans of this trace are stored. If it is only now being recorded, its spans may not have arrived yet:{' '}
            <a href={window.location.href}>load this page again</a> in a moment.
          </p>
          <p>
            <Link href="/search">Search traces</Link>
          </p>
        </section>
      );
    }
    return <ErrorState error={result.error} what={`trace ${traceId}`} />;
  }
  return <LoadedTrace trace={result.data} query={query} />;
}

function LoadedTrace({ trace, query }: { trace: CallTree; query: URLSearchParams }): JSX.Element {
  const selectedId = query.get('span');
  const find = query.get('find') ?? '';
  const collapsedText = query.get('collapsed') ?? '';
  const findInput = useRef<HTMLInputElement>(null);

  const { parents, indexById } = useMemo(() => {
    const byId = new Map<string, number>();
    trace.spans.forEach((span, i) => {
      if (!byId.has(span.spanId)) byId.set(span.spanId, i);
    });
    return { parents: parentIndices(trace.spans), indexById: byId };
  }, [trace]);
  const collapsed = useMemo(() => parseCollapsed(collapsedText), [collapsedText]);
  const rows = useMemo(() => visibleRows(trace.spans, collapsed), [trace, collapsed]);
  const matchList = useMemo(() => findSpans(trace.spans, find), [trace, find]);
  const matches = useMemo(() => new Set(matchList), [matchList]);
  const selected = selectedId === null ? null : (indexById.get(selectedId) ?? null);

  const update = (changes: { span?: string | null; find?: string; collapsed?: ReadonlySet<string> }): void => {
    const params = {
      span: changes.span !== undefined ? changes.span : selectedId,
      find: changes.find ?? find,
      collapsed: changes.collapsed ? serializeCollapsed(changes.collapsed) : collapsedText,
    };
    navigate(hrefOf(`/trace/${trace.traceId}`, params), { replace: true });
  };
  const select = (index: number): void => update({ span: trace.spans[index]!.spanId, collapsed: expandTo(index, parents, trace.spans, collapsed) });

  // "/" goes to the find box from anywhere in the view, as in many code and log viewers.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
      event.preventDefault();
      findInput.current?.focus();
      findInput.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const root = trace.spans[indexById.get(trace.rootSpanIds[0] ?? '') ?? 0]!;
  const span = selected === null ? null : trace.spans[selected]!;
  return (
    <div class="trace-view">
      <TraceHeader trace={trace} root={root} />
      <FindBox
        value={find}
        matchCount={matchList.length}
        current={selected === null ? 0 : matchList.indexOf(selected) + 1}
        inputRef={findInput}
        onChange={(value) => update({ find: value })}
        onJump={(direction) => {
          const target = nextMatch(matchList, selected, direction);
          if (target !== null) select(target);
        }}
      />
      {selectedId !== null && selected === null && (
        <p class="state state-error" role="alert">
          Span <code>{selectedId}</code> is not in this trace.
        </p>
      )}
      <div class={span ? 'trace-body with-panel' : 'trace-body'}>
        <Waterfall
          trace={trace}
          rows={rows}
          collapsed={collapsed}
          parents={parents}
          selected={selected}
          matches={matches}
          onSelect={select}
          onToggle={(index) => {
            const next = new Set(collapsed);
            const id = trace.spans[index]!.spanId;
            if (next.has(id)) next.delete(id);
            else next.add(id);
            update({ collapsed: next });
          }}
        />
        {span && <SpanPanel key={span.spanId} trace={trace} span={span} onClose={() => update({ span: null })} />}
      </div>
    </div>
  );
}
