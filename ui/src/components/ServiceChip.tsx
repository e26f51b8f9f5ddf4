/** A service name behind its colour dot, the same colour on every view. */
import type { JSX } from 'preact';
import { serviceColor } from '../lib/serviceColor.js';
import './serviceChip.css';

export function ServiceChip({ service, count }: { service: string; count?: number }): JSX.Element {
  return (
    <span class="service-chip">
      <span class="service-dot" style={{ background: serviceColor(service) }} aria-hidden="true" />
      {service}
      {count !== undefined && <span class="muted"> ({count})</span>}
    </span>
  );
}
