/**
 * A small client-side router: the whole view state lives in the URL (path and query), so every view
 * is a shareable link and the back button works. Links are plain <a href> that the router intercepts.
 */
import type { AnchorHTMLAttributes, ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** Goes to `href` (same origin); `replace` rewrites the current history entry (for state tweaks such as typing). */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  const next = new URL(href, window.location.href);
  if (next.pathname + next.search === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', next);
  else window.history.pushState(null, '', next);
  for (const listener of listeners) listener();
}

/** `path?query` with empty values left out. */
export function hrefOf(path: string, params: Record<string, string | string[] | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) if (item !== '') query.append(key, item);
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = (): void => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An <a> that navigates inside the app; modified clicks (new tab, ...) keep the browser's behaviour. */
export function Link(props: AnchorProps): JSX.Element {
  const { href, onClick, ...rest } = props;
  return (
    <a
      href={href}
      {...rest}
      onClick={(event) => {
        if (typeof onClick === 'function') onClick(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
