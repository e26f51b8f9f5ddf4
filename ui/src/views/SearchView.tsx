/** Trace search: the form and its results, both driven by the URL so that a search is a shareable link. */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { formFromQuery, formParams, searchApiParams } from '../lib/searchForm.js';
import { hrefOf, navigate } from '../router.js';
import { SearchForm } from './search/SearchForm.js';
import { SearchResults } from './search/SearchResults.js';
import './search/search.css';

export function SearchView({ query }: { query: URLSearchParams }): JSX.Element {
  const key = query.toString();
  // Submitting the same URL again searches again (a relative range moves on with the clock).
  const [runs, setRuns] = useState(0);
  const form = useMemo(() => formFromQuery(query), [key]);
  // "Now" is fixed per search, so that later pages keep the bounds of the first.
  const params = useMemo(() => searchApiParams(form, Date.now()), [key, runs]);
  return (
    <div class="search-view">
      <h1>Search traces</h1>
      <SearchForm
        key={key}
        initial={form}
        onSubmit={(next) => {
          const href = hrefOf('/search', formParams(next));
          if (href === window.location.pathname + window.location.search) setRuns((n) => n + 1);
          else navigate(href);
        }}
      />
      <SearchResults key={`${key}#${runs}`} params={params} />
    </div>
  );
}
