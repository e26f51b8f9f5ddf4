/** The answer to one search: scatter plot and list, pages appended by "Load more". */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Params, type SearchResult } from '../../api.js';
import { Empty, ErrorState, Loading } from '../../components/states.js';
import { useApi } from '../../components/useApi.js';
import { TraceList } from './TraceList.js';
import { TraceScatter } from './TraceScatter.js';

/** Mounted anew (keyed) for every search, so extra pages never outlive theirs. */
export function SearchResults({ params }: { params: Params }): JSX.Element {
  const first = useApi(JSON.stringify(params), (signal) => api.search(params, signal));
  const [more, setMore] = useState<SearchResult[]>([]);
  const [moreState, setMoreState] = useState<{ loading: boolean; error: Error | null }>({ loading: false, error: null });
  if (first.state === 'idle' || first.state === 'loading') return <Loading what="traces" />;
  if (first.state === 'error') return <ErrorState error={first.error} what="traces" />;
  const pages = [first.data, ...more];
  const traces = pages.flatMap((page) => page.traces);
  const nextCursor = pages[pages.length - 1]!.nextCursor;
  if (traces.length === 0) {
    return (
      <Empty>
        <strong>No traces match.</strong> Try a wider time range, fewer attribute filters, or a shorter minimum duration.
      </Empty>
    );
  }
  const loadMore = (): void => {
    setMoreState({ loading: true, error: null });
    api.search({ ...params, cursor: nextCursor ?? undefined }).then(
      (page) => {
        setMore((pagesSoFar) => [...pagesSoFar, page]);
        setMoreState({ loading: false, error: null });
      },
      (error: Error) => setMoreState({ loading: false, error }),
    );
  };
  const errors = traces.filter((t) => t.errorCount > 0).length;
  return (
    <section class="search-results" aria-label="Search results">
      <p class="results-count muted">
        {traces.length} {traces.length === 1 ? 'trace' : 'traces'}
        {errors > 0 && <>, <span class="error-text">{errors} with errors</span></>}
      </p>
      <TraceScatter traces={traces} />
      <TraceList traces={traces} />
      {moreState.error && <ErrorState error={moreState.error} what="more traces" />}
      {nextCursor && (
        <button type="button" class="load-more" onClick={loadMore} disabled={moreState.loading}>
          {moreState.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
