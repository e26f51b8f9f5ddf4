import type { JSX } from 'preact';

export function SearchView(_props: { query: URLSearchParams }): JSX.Element {
  return <div>SearchView</div>;
}
