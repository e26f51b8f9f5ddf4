/** The tables and views beside the SQL console, with their columns and types; a click inserts a name. */
import type { JSX } from 'preact';
import { api } from '../api.js';
import { describeSql, SCHEMA_TABLES, tableFromDescribe } from '../lib/sqlSchema.js';
import { ErrorState, Loading } from './states.js';
import { useApi } from './useApi.js';

export function SqlSchema({ onInsert }: { onInsert: (name: string) => void }): JSX.Element {
  const schema = useApi('schema', (signal) => Promise.all(SCHEMA_TABLES.map(async (table) => tableFromDescribe(table, await api.sql(describeSql(table), signal)))));
  return (
    <aside class="sql-schema" aria-labelledby="sql-schema-title">
      <h2 id="sql-schema-title">Schema</h2>
      <p class="muted sql-schema-hint">Click a name to insert it at the cursor.</p>
      {(schema.state === 'loading' || schema.state === 'idle') && <Loading what="the schema" />}
      {schema.state === 'error' && <ErrorState error={schema.error} what="the schema" />}
      {schema.state === 'ready' &&
        schema.data.map((table) => (
          <section class="sql-schema-table" data-table={table.name} aria-label={`Table ${table.name}`}>
            <h3>
              <button type="button" class="sql-schema-name" title={`Insert ${table.name}`} onClick={() => onInsert(table.name)}>
                {table.name}
              </button>
            </h3>
            <ul>
              {table.columns.map((column) => (
                <li>
                  <button type="button" class="sql-schema-name" title={`Insert ${column.name}`} onClick={() => onInsert(column.name)}>
                    {column.name}
                  </button>
                  <span class="sql-schema-type" title={column.type}>
                    {column.type}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ))}
    </aside>
  );
}
