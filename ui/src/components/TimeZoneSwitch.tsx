/** The header's switch between local time and UTC, for every time the UI shows or takes. */
import type { JSX } from 'preact';
import { zoneName, type TimeZoneSetting } from '../lib/format.js';
import { setTimeZone, useTimeZone } from './useTimeZone.js';

const CHOICES: Array<{ zone: TimeZoneSetting; label: string }> = [
  { zone: 'local', label: 'Local' },
  { zone: 'utc', label: 'UTC' },
];

export function TimeZoneSwitch(): JSX.Element {
  const zone = useTimeZone();
  return (
    <div class="zone-switch" role="group" aria-label="Time zone">
      {CHOICES.map((choice) => (
        <button
          type="button"
          aria-pressed={zone === choice.zone}
          title={choice.zone === 'local' ? `Local time: ${zoneName('local')}` : 'Coordinated Universal Time'}
          onClick={() => setTimeZone(choice.zone)}
        >
          {choice.label}
        </button>
      ))}
    </div>
  );
}
