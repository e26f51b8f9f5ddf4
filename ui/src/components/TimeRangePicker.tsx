/** Chooses the range of a view: 15m, 1h, 6h, 24h or custom bounds; the choice goes into the URL. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { RANGE_PRESETS, type RangeChoice, type RangePreset } from '../lib/timeRange.js';

/** A local datetime-local value ("2026-11-24T14:03") for a time in ms. */
function toLocalInput(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

export function TimeRangePicker({ value, onChange }: { value: RangeChoice; onChange: (next: RangeChoice) => void }): JSX.Element {
  const now = Date.now();
  const [start, setStart] = useState(toLocalInput(value.preset === 'custom' ? value.startMs : now - 3_600_000));
  const [end, setEnd] = useState(toLocalInput(value.preset === 'custom' ? value.endMs : now));
  const customValid = Date.parse(start) < Date.parse(end);
  return (
    <div class="range-picker" role="group" aria-label="Time range">
      <select
        aria-label="Time range"
        value={value.preset}
        onChange={(event) => {
          const preset = (event.target as HTMLSelectElement).value as RangePreset | 'custom';
          if (preset === 'custom') onChange({ preset: 'custom', startMs: Date.parse(start), endMs: Date.parse(end) });
          else onChange({ preset });
        }}
      >
        {Object.keys(RANGE_PRESETS).map((preset) => (
          <option value={preset}>Last {preset}</option>
        ))}
        <option value="custom">Custom</option>
      </select>
      {value.preset === 'custom' && (
        <>
          <input type="datetime-local" aria-label="From" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
          <input type="datetime-local" aria-label="To" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
          <button type="button" disabled={!customValid} onClick={() => onChange({ preset: 'custom', startMs: Date.parse(start), endMs: Date.parse(end) })}>
            Apply
          </button>
        </>
      )}
    </div>
  );
}
