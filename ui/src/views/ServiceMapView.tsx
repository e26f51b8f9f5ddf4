import type { JSX } from 'preact';

export function ServiceMapView(_props: { query: URLSearchParams }): JSX.Element {
  return <div>ServiceMapView</div>;
}
