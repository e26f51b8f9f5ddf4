/** The shell: navigation and the view the URL names. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onReadTokenNeeded, setReadToken } from './api.js';
import { TimeZoneSwitch } from './components/TimeZoneSwitch.js';
import { TokenPrompt } from './components/TokenPrompt.js';
import { TraceIdLookup } from './components/TraceIdLookup.js';
import { Link, useLocation } from './router.js';
import { NotFoundView } from './views/NotFoundView.js';
import { SearchView } from './views/SearchView.js';
import { ServiceMapView } from './views/ServiceMapView.js';
import { ServicesView } from './views/ServicesView.js';
import { SqlView } from './views/SqlView.js';
import { TraceView } from './views/TraceView.js';

const SECTIONS = [
  { href: '/search', label: 'Search', matches: (path: string) => path === '/' || path.startsWith('/search') || path.startsWith('/trace/') },
  { href: '/services', label: 'Services', matches: (path: string) => path.startsWith('/services') },
  { href: '/map', label: 'Service map', matches: (path: string) => path.startsWith('/map') },
  { href: '/sql', label: 'SQL', matches: (path: string) => path.startsWith('/sql') },
];

function route(path: string, query: URLSearchParams): JSX.Element {
  const trace = /^\/trace\/([^/]+)\/?$/.exec(path);
  if (trace) return <TraceView traceId={decodeURIComponent(trace[1]!)} query={query} />;
  const service = /^\/services\/([^/]+)\/?$/.exec(path);
  if (service) return <ServicesView service={decodeURIComponent(service[1]!)} query={query} />;
  if (path === '/services' || path === '/services/') return <ServicesView service={null} query={query} />;
  if (path === '/map' || path === '/map/') return <ServiceMapView query={query} />;
  if (path === '/sql' || path === '/sql/') return <SqlView query={query} />;
  if (path === '/' || path === '/search' || path === '/search/') return <SearchView query={query} />;
  return <NotFoundView path={path} />;
}

export function App(): JSX.Element {
  const { path, query } = useLocation();
  // A call refused for want of a read token opens the prompt; a token given remounts the views, which load again.
  const [tokenPrompt, setTokenPrompt] = useState<{ refused: boolean } | null>(null);
  const [tokenGiven, setTokenGiven] = useState(0);
  useEffect(() => onReadTokenNeeded((refused) => setTokenPrompt({ refused })), []);
  return (
    <>
      <header class="topbar">
        <Link href="/search" class="brand" aria-label="ducktrace home">
          <span class="brand-mark" aria-hidden="true" />
          ducktrace
        </Link>
        <nav aria-label="Views">
          {SECTIONS.map((section) => (
            <Link href={section.href} class={section.matches(path) ? 'nav-link active' : 'nav-link'} aria-current={section.matches(path) ? 'page' : undefined}>
              {section.label}
            </Link>
          ))}
        </nav>
        <div class="topbar-tools">
          <TraceIdLookup />
          <TimeZoneSwitch />
        </div>
      </header>
      <main id="main" key={tokenGiven}>
        {route(path, query)}
      </main>
      {tokenPrompt !== null && (
        <TokenPrompt
          refused={tokenPrompt.refused}
          onToken={(token) => {
            setReadToken(token);
            setTokenPrompt(null);
            setTokenGiven((n) => n + 1);
          }}
        />
      )}
    </>
  );
}
