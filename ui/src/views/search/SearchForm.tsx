/** The search form: edits a copy of the URL's form and hands it back on submit. */
import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { TimeRangePicker } from '../../components/TimeRangePicker.js';
import { useApi } from '../../components/useApi.js';
import type { SearchForm as Form, StatusChoice } from '../../lib/searchForm.js';
import { AttributeFilters } from './AttributeFilters.js';
import './durationFilters.css';

/** A label beside (not around) its control, so that the control's name is the label alone. */
function Field({ id, label, children }: { id: string; label: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

function ServiceSelect({ value, onChange }: { value: string; onChange: (service: string) => void }): JSX.Element {
  const services = useApi('services', (signal) => api.services({}, signal));
  const names = services.state === 'ready' ? services.data.services : [];
  return (
    <Field id="search-service" label="Service">
      <select id="search-service" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} disabled={services.state === 'loading'}>
        <option value="">Any service</option>
        {/* A service from a shared link stays selectable even when it is not in the list. */}
        {value !== '' && !names.includes(value) && <option value={value}>{value}</option>}
        {names.map((name) => (
          <option value={name}>{name}</option>
        ))}
      </select>
    </Field>
  );
}

function OperationSelect({ service, value, onChange }: { service: string; value: string; onChange: (operation: string) => void }): JSX.Element {
  const operations = useApi(service, (signal) => (service === '' ? null : api.operations(service, signal)));
  // The same name may come with several span kinds; the search filters by name.
  const names = operations.state === 'ready' ? [...new Set(operations.data.operations.map((o) => o.name))] : [];
  return (
    <Field id="search-operation" label="Operation">
      <select id="search-operation" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} disabled={service === ''}>
        <option value="">Any operation</option>
        {value !== '' && !names.includes(value) && <option value={value}>{value}</option>}
        {names.map((name) => (
          <option value={name}>{name}</option>
        ))}
      </select>
    </Field>
  );
}

/** A duration range: which duration it bounds in the legend, at least and at most beside each other. */
function DurationRange(props: {
  id: string;
  legend: string;
  help: string;
  min: string;
  max: string;
  onMin: (value: string) => void;
  onMax: (value: string) => void;
}): JSX.Element {
  return (
    <fieldset class="duration-range" title={props.help} aria-describedby={`${props.id}-help`}>
      <legend>{props.legend}</legend>
      <span id={`${props.id}-help`} hidden>
        {props.help}
      </span>
      <div class="duration-inputs">
        <input id={`${props.id}-min`} aria-label={`${props.legend} at least`} value={props.min} placeholder="min, e.g. 5ms" size={10} onInput={(e) => props.onMin((e.target as HTMLInputElement).value)} />
        <span aria-hidden="true">–</span>
        <input id={`${props.id}-max`} aria-label={`${props.legend} at most`} value={props.max} placeholder="max, e.g. 2s" size={10} onInput={(e) => props.onMax((e.target as HTMLInputElement).value)} />
      </div>
    </fieldset>
  );
}

export function SearchForm({ initial, onSubmit }: { initial: Form; onSubmit: (form: Form) => void }): JSX.Element {
  const [form, setForm] = useState(initial);
  const set = (patch: Partial<Form>): void => setForm((current) => ({ ...current, ...patch }));
  return (
    <form
      class="search-form"
      aria-label="Search traces"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(form);
      }}
    >
      <div class="search-fields">
        <ServiceSelect value={form.service} onChange={(service) => set({ service, operation: '' })} />
        <OperationSelect service={form.service} value={form.operation} onChange={(operation) => set({ operation })} />
        <DurationRange
          id="search-trace-duration"
          legend="Trace duration"
          help="The whole trace, from its first span's start to its last span's end"
          min={form.minDuration}
          max={form.maxDuration}
          onMin={(minDuration) => set({ minDuration })}
          onMax={(maxDuration) => set({ maxDuration })}
        />
        <DurationRange
          id="search-span-duration"
          legend="Span duration"
          help="A span that matches the service, operation and attribute filters lasts this long"
          min={form.spanMinDuration}
          max={form.spanMaxDuration}
          onMin={(spanMinDuration) => set({ spanMinDuration })}
          onMax={(spanMaxDuration) => set({ spanMaxDuration })}
        />
        <Field id="search-status" label="Status">
          <select id="search-status" value={form.status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value as StatusChoice })}>
            <option value="any">Any</option>
            <option value="error">Has errors</option>
            <option value="ok">No errors</option>
          </select>
        </Field>
        <Field id="search-limit" label="Limit">
          <input id="search-limit" type="number" min={1} max={50} value={form.limit} class="limit-input" onInput={(e) => set({ limit: (e.target as HTMLInputElement).value })} />
        </Field>
        <div class="search-range">
          <span class="field-label">Time range</span>
          <TimeRangePicker value={form.range} onChange={(range) => set({ range })} />
        </div>
      </div>
      <AttributeFilters rows={form.attrs} onChange={(attrs) => set({ attrs })} />
      <div class="search-actions">
        <button type="submit" class="primary">
          Find traces
        </button>
      </div>
    </form>
  );
}
