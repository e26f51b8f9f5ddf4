/** Text edits of the SQL editor, on the value and its selection, so that they are testable without a DOM. Pure. */

export interface Edit {
  value: string;
  /** Where the cursor goes after the edit. */
  cursor: number;
}

export const INDENT = '  ';

/** `text` in place of the selection [start, end). */
export function replaceSelection(value: string, start: number, end: number, text: string): Edit {
  return { value: value.slice(0, start) + text + value.slice(end), cursor: start + text.length };
}

const WORD = /[\p{L}\p{N}_"]/u;

/** A name (of a column, a table) in place of the selection, with a space on a side that touches another word. */
export function insertName(value: string, start: number, end: number, name: string): Edit {
  const before = start > 0 && WORD.test(value[start - 1]!) ? ' ' : '';
  const after = end < value.length && WORD.test(value[end]!) ? ' ' : '';
  const edit = replaceSelection(value, start, end, `${before}${name}${after}`);
  return { value: edit.value, cursor: edit.cursor - after.length };
}

/** Ctrl+Enter, or Cmd+Enter on a Mac, runs the query. */
export function isRunShortcut(event: { key: string; ctrlKey: boolean; metaKey: boolean }): boolean {
  return event.key === 'Enter' && (event.ctrlKey || event.metaKey);
}
