/**
 * Chooses the range of a view: 15m, 1h, 6h, 24h or custom bounds; the choice goes into the URL.
 * Custom bounds are typed as the UI writes times ("2026-11-24 14:03:07"), on the clock of the
 * time-zone setting, which the picker names; switching the zone rewrites them on the new clock.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatInputTime, parseInputTime, zoneName } from '../lib/format.js';
import { RANGE_PRESETS, type RangeChoice, type RangePreset } from '../lib/timeRange.js';
import { useTimeZone } from './useTimeZone.js';

const FORMAT_HINT = 'YYYY-MM-DD HH:MM:SS';

export function TimeRangePicker({ value, onChange }: { value: RangeChoice; onChange: (next: RangeChoice) => void }): JSX.Element {
  const zone = useTimeZone();
  const [draft, setDraft] = useState(() => {
    const now = Date.now();
    const [startMs, endMs] = value.preset === 'custom' ? [value.startMs, value.endMs] : [now - 3_600_000, now];
    return { start: formatInputTime(startMs, zone), end: formatInputTime(endMs, zone) };
  });
  const draftZone = useRef(zone);
  useEffect(() => {
    const from = draftZone.current;
    draftZone.current = zone;
    if (from === zone) return;
    const move = (text: string): string => {
      const ms = parseInputTime(text, from);
      return Number.isNaN(ms) ? text : formatInputTime(ms, zone);
    };
    setDraft((current) => ({ start: move(current.start), end: move(current.end) }));
  }, [zone]);

  const startMs = parseInputTime(draft.start, zone);
  const endMs = parseInputTime(draft.end, zone);
  const problem = Number.isNaN(startMs) || Number.isNaN(endMs) ? `Write times as ${FORMAT_HINT}.` : startMs >= endMs ? 'From must be before To.' : null;
  const apply = (): void => {
    if (problem === null) onChange({ preset: 'custom', startMs, endMs });
  };
  return (
    <div class="range-picker" role="group" aria-label="Time range">
      <select
        aria-label="Time range"
        value={value.preset}
        onChange={(event) => {
          const preset = (event.target as HTMLSelectElement).value as RangePreset | 'custom';
          if (preset !== 'custom') onChange({ preset });
          else if (problem === null) onChange({ preset: 'custom', startMs, endMs });
          else onChange({ preset: 'custom', startMs: Date.now() - 3_600_000, endMs: Date.now() });
        }}
      >
        {Object.keys(RANGE_PRESETS).map((preset) => (
          <option value={preset}>Last {preset}</option>
        ))}
        <option value="custom">Custom</option>
      </select>
      {value.preset === 'custom' && (
        // Not a <form>: the picker sits inside the search form, and forms do not nest.
        <div
          class="range-custom"
          onKeyDown={(event) => {
            if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return;
            event.preventDefault();
            apply();
          }}
        >
          <input
            class="range-time"
            aria-label="From"
            placeholder={FORMAT_HINT}
            spellcheck={false}
            maxLength={40}
            value={draft.start}
            aria-invalid={Number.isNaN(startMs)}
            onInput={(event) => setDraft({ ...draft, start: event.currentTarget.value })}
          />
          <span aria-hidden="true">–</span>
          <input
            class="range-time"
            aria-label="To"
            placeholder={FORMAT_HINT}
            spellcheck={false}
            maxLength={40}
            value={draft.end}
            aria-invalid={Number.isNaN(endMs)}
            onInput={(event) => setDraft({ ...draft, end: event.currentTarget.value })}
          />
          <span class="zone-note">{zoneName(zone)}</span>
          <button type="button" disabled={problem !== null} title={problem ?? undefined} onClick={apply}>
            Apply
          </button>
          {problem !== null && (
            <span class="range-problem error-text" role="alert">
              {problem}
            </span>
          )}
        </div>
      )}
    </div>
  );
}
