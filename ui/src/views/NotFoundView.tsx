/** Any path the UI has no view for. */
import type { JSX } from 'preact';
import { Link } from '../router.js';

export function NotFoundView({ path }: { path: string }): JSX.Element {
  return (
    <section class="not-found" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>
        There is no page at <code>{path}</code>.
      </p>
      <p>
        <Link href="/search">Search traces</Link>, or pick a view above.
      </p>
    </section>
  );
}
