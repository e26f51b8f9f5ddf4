/** How many connections a listener holds, how long an idle one stays open, and whether it speaks TLS. */
import type { TlsFiles } from './tlsFiles.js';

export interface ConnectionPolicy {
  /** Open connections at most; the listener closes any beyond it at once. */
  maxConnections: number;
  /** A connection with nothing in flight and no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** Serve TLS with these files (reloaded as they change), or plain TCP when null. */
  tls: TlsFiles | null;
  /** Called for each connection closed at once because the listener holds maxConnections. */
  onRefused: () => void;
}
