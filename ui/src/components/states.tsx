/** The loading, empty and error states every view shows in the same way. */
import type { ComponentChildren, JSX } from 'preact';
import { ApiError } from '../api.js';

export function Loading({ what }: { what: string }): JSX.Element {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }): JSX.Element {
  return <div class="state state-empty">{children}</div>;
}

export function ErrorState({ error, what }: { error: Error; what: string }): JSX.Element {
  const code = error instanceof ApiError ? ` (${error.status || 'no answer'} ${error.code})` : '';
  return (
    <div class="state state-error" role="alert">
      <strong>Could not load {what}{code}.</strong> {error.message}
    </div>
  );
}
