/** The find box: a query, how many spans match, and buttons to jump between them (Enter, Shift+Enter). */
import type { JSX, Ref } from 'preact';
import { formatCount } from '../lib/format.js';

interface FindBoxProps {
  value: string;
  matchCount: number;
  /** 1-based position of the selected span among the matches, 0 when it is not one. */
  current: number;
  inputRef: Ref<HTMLInputElement>;
  onChange(value: string): void;
  onJump(direction: 1 | -1): void;
}

export function FindBox({ value, matchCount, current, inputRef, onChange, onJump }: FindBoxProps): JSX.Element {
  return (
    <div class="find-box" role="search">
      <input
        ref={inputRef}
        type="search"
        aria-label="Find spans"
        placeholder="Find spans: name, service, span id, attribute (key=value)   /"
        value={value}
        onInput={(event) => onChange(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            onJump(event.shiftKey ? -1 : 1);
          } else if (event.key === 'Escape') event.currentTarget.blur();
        }}
      />
      {value.trim() !== '' && (
        <span class="find-count" aria-live="polite">
          {matchCount === 0 ? 'no matches' : current > 0 ? `${formatCount(current)} of ${formatCount(matchCount)}` : `${formatCount(matchCount)} ${matchCount === 1 ? 'match' : 'matches'}`}
        </span>
      )}
      <button type="button" aria-label="Previous match" disabled={matchCount === 0} onClick={() => onJump(-1)}>
        ↑
      </button>
      <button type="button" aria-label="Next match" disabled={matchCount === 0} onClick={() => onJump(1)}>
        ↓
      </button>
    </div>
  );
}
