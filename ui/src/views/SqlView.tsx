import type { JSX } from 'preact';

export function SqlView(_props: { query: URLSearchParams }): JSX.Element {
  return <div>SqlView</div>;
}
