/**
 * The SQL text: a monospace textarea where Tab indents, Ctrl+Enter (Cmd+Enter) runs, and Escape
 * then Tab leaves the editor, so that keyboard users are never trapped in it.
 */
import type { JSX, RefObject } from 'preact';
import { useRef } from 'preact/hooks';
import { INDENT, isRunShortcut, replaceSelection, type Edit } from '../lib/editorText.js';

interface Props {
  value: string;
  onChange: (value: string) => void;
  onRun: () => void;
  textareaRef: RefObject<HTMLTextAreaElement | null>;
}

/** Writes an edit into the textarea and its cursor, then tells the owner of the value. */
export function applyEdit(textarea: HTMLTextAreaElement, edit: Edit, onChange: (value: string) => void): void {
  textarea.value = edit.value;
  textarea.setSelectionRange(edit.cursor, edit.cursor);
  onChange(edit.value);
}

export function SqlEditor({ value, onChange, onRun, textareaRef }: Props): JSX.Element {
  const escaped = useRef(false);
  const onKeyDown = (event: KeyboardEvent): void => {
    const textarea = event.currentTarget as HTMLTextAreaElement;
    if (isRunShortcut(event)) {
      event.preventDefault();
      onRun();
    } else if (event.key === 'Tab' && !event.shiftKey && !escaped.current && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      applyEdit(textarea, replaceSelection(textarea.value, textarea.selectionStart, textarea.selectionEnd, INDENT), onChange);
    }
    escaped.current = event.key === 'Escape';
  };
  return (
    <textarea
      ref={textareaRef}
      class="sql-editor"
      aria-label="SQL query"
      aria-describedby="sql-editor-help"
      spellcheck={false}
      autocomplete="off"
      autocapitalize="off"
      rows={9}
      value={value}
      placeholder="SELECT service_name, count(*) FROM spans GROUP BY ALL"
      onInput={(event) => onChange((event.currentTarget as HTMLTextAreaElement).value)}
      onKeyDown={onKeyDown}
    />
  );
}
