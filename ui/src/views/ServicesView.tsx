import type { JSX } from 'preact';

export function ServicesView(props: { service: string | null; query: URLSearchParams }): JSX.Element {
  return <div>{props.service}</div>;
}
