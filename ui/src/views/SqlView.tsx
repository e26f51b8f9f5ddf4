/**
 * /sql: a read-only SQL console over the spans. The query lives in the URL (`?q=`), written when it
 * runs, so a query is a shareable link and opening the link runs it.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type SqlResult } from '../api.js';
import { applyEdit, SqlEditor } from '../components/SqlEditor.js';
import { SqlResultTable } from '../components/SqlResultTable.js';
import { SqlSchema } from '../components/SqlSchema.js';
import { useApi, type Loadable } from '../components/useApi.js';
import { insertName } from '../lib/editorText.js';
import { resultSummary, toCsv } from '../lib/sqlCells.js';
import { SQL_EXAMPLES } from '../lib/sqlExamples.js';
import { quoteIdentifier } from '../lib/sqlSchema.js';
import { hrefOf, navigate } from '../router.js';
import './sqlConsole.css';

const sqlHref = (sql: string): string => hrefOf('/sql', { q: sql });

export function SqlView({ query }: { query: URLSearchParams }): JSX.Element {
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q === '' ? SQL_EXAMPLES[0]!.sql : q);
  // Running the query already in the URL again (fresh data) changes no URL: this count does.
  const [runs, setRuns] = useState(0);
  const textarea = useRef<HTMLTextAreaElement>(null);
  // Back, forward and example links bring their query into the editor.
  useEffect(() => {
    if (q !== '') setText(q);
  }, [q]);
  const result = useApi(`${runs}\u0000${q}`, (signal) => (q.trim() === '' ? null : api.sql(q, signal)));

  const runSql = (sql: string): void => {
    if (sql.trim() === '') return;
    if (sql !== q) {
      navigate(sqlHref(sql));
      return;
    }
    setText(sql);
    setRuns((n) => n + 1);
  };
  const run = (): void => runSql(text);
  const insert = (name: string): void => {
    const element = textarea.current;
    if (element === null) return;
    element.focus();
    applyEdit(element, insertName(element.value, element.selectionStart, element.selectionEnd, quoteIdentifier(name)), setText);
  };

  return (
    <section class="sql-view" aria-labelledby="sql-title">
      <div class="sql-main">
        <div class="sql-header">
          <h1 id="sql-title">SQL</h1>
          <select
            aria-label="Example queries"
            value=""
            onChange={(event) => {
              const example = SQL_EXAMPLES[Number((event.currentTarget as HTMLSelectElement).value)];
              if (example !== undefined) runSql(example.sql);
            }}
          >
            <option value="" disabled>
              Examples…
            </option>
            {SQL_EXAMPLES.map((example, i) => (
              <option value={String(i)}>{example.title}</option>
            ))}
          </select>
        </div>
        <SqlEditor value={text} onChange={setText} onRun={run} textareaRef={textarea} />
        <div class="sql-toolbar">
          <button type="button" class="primary" onClick={run} disabled={result.state === 'loading' || text.trim() === ''}>
            {result.state === 'loading' ? 'Running…' : 'Run'}
          </button>
          <span id="sql-editor-help" class="muted">
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs · <kbd>Tab</kbd> indents · <kbd>Esc</kbd> then <kbd>Tab</kbd> leaves the editor · read-only
          </span>
        </div>
        <SqlOutcome result={result} />
      </div>
      <SqlSchema onInsert={insert} />
    </section>
  );
}

function SqlOutcome({ result }: { result: Loadable<SqlResult> }): JSX.Element {
  switch (result.state) {
    case 'idle':
      return <p class="muted sql-status">Write a query and run it.</p>;
    case 'loading':
      return (
        <p class="sql-status" role="status">
          <span class="spinner" aria-hidden="true" /> Running the query…
        </p>
      );
    case 'error':
      return <SqlError error={result.error} />;
    case 'ready':
      return (
        <div class="sql-outcome">
          <div class="sql-result-bar">
            <p class="sql-status" role="status">
              {resultSummary(result.data)}
            </p>
            {result.data.columns.length > 0 && <CsvDownload result={result.data} />}
          </div>
          {result.data.truncated && (
            <p class="sql-truncated" role="note">
              Truncated: the server returned only the first {result.data.rows.length} rows. Add a <code>LIMIT</code> or aggregate to see what you need.
            </p>
          )}
          <SqlResultTable result={result.data} />
          {result.data.rows.length === 0 && <p class="muted sql-no-rows">No rows.</p>}
        </div>
      );
  }
}

/** The rows shown, as a CSV file the browser saves; a truncated result says that only those rows go in. */
function CsvDownload({ result }: { result: SqlResult }): JSX.Element {
  const save = (): void => {
    const url = URL.createObjectURL(new Blob([toCsv(result)], { type: 'text/csv;charset=utf-8' }));
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = 'ducktrace-sql.csv';
    anchor.click();
    // The click has handed the file to the browser's download by the next task.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <button type="button" class="sql-csv" onClick={save} title={result.truncated ? `Only the ${result.rows.length} rows shown go into the file` : undefined}>
      Download CSV{result.truncated ? ` (first ${result.rows.length} rows)` : ''}
    </button>
  );
}

/** The server's message, kept as written: DuckDB's parser errors point at the spot with a caret on the next line. */
function SqlError({ error }: { error: Error }): JSX.Element {
  return (
    <div class="sql-error" role="alert">
      <strong>{error instanceof ApiError ? `The query failed (${error.status || 'no answer'} ${error.code})` : 'The query failed'}</strong>
      <pre>{error.message}</pre>
    </div>
  );
}
