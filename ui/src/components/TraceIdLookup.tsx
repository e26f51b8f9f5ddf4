/** The header's trace-id box: paste an id (or a trace link, or a traceparent), Enter opens the trace. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { parseTraceIdInput } from '../lib/traceIdInput.js';
import { navigate } from '../router.js';

export function TraceIdLookup(): JSX.Element {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const open = (): void => {
    const result = parseTraceIdInput(text);
    if (!result.ok) {
      setError(result.message);
      return;
    }
    setError(null);
    setText('');
    navigate(`/trace/${result.traceId}`);
  };
  return (
    <form
      class="trace-lookup"
      role="search"
      aria-label="Open a trace by id"
      onSubmit={(event) => {
        event.preventDefault();
        open();
      }}
    >
      <input
        type="search"
        aria-label="Trace id"
        placeholder="Trace id…"
        spellcheck={false}
        autocomplete="off"
        maxLength={2_048}
        value={text}
        aria-invalid={error !== null}
        aria-describedby={error !== null ? 'trace-lookup-error' : undefined}
        onInput={(event) => {
          setText(event.currentTarget.value);
          setError(null);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            setError(null);
            event.currentTarget.blur();
          }
        }}
      />
      {error !== null && (
        <p id="trace-lookup-error" class="trace-lookup-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
