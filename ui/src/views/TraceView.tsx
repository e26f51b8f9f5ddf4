import type { JSX } from 'preact';

export function TraceView(props: { traceId: string; query: URLSearchParams }): JSX.Element {
  return <div>{props.traceId}</div>;
}
