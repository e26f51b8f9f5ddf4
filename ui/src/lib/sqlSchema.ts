/** The schema beside the SQL console: the queryable tables with their columns, read with DESCRIBE. Pure. */
import type { SqlResult } from '../api.js';

/** The tables and views the README documents for SQL, in the order the console lists them. */
export const SCHEMA_TABLES = ['spans', 'span_attributes', 'span_resource_attributes'] as const;

export interface SchemaColumn {
  name: string;
  type: string;
}

export interface SchemaTable {
  name: string;
  columns: SchemaColumn[];
}

export const describeSql = (table: string): string => `DESCRIBE ${quoteIdentifier(table)}`;

/** A table from the answer to DESCRIBE, found by its column names (column_name, column_type) rather than positions. */
export function tableFromDescribe(name: string, result: Pick<SqlResult, 'columns' | 'rows'>): SchemaTable {
  const nameAt = result.columns.findIndex((c) => c.name === 'column_name');
  const typeAt = result.columns.findIndex((c) => c.name === 'column_type');
  if (nameAt < 0 || typeAt < 0) throw new Error(`DESCRIBE ${name} answered without column_name and column_type`);
  return { name, columns: result.rows.map((row) => ({ name: String(row[nameAt]), type: String(row[typeAt]) })) };
}

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A name as SQL reads it back: plain lower-case names as they are, anything else double-quoted. */
export function quoteIdentifier(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
