/**
 * Which Host headers the query API answers. A page on a DNS-rebinding domain reaches a server on
 * loopback with its own domain in Host; answering only known names keeps it from reading traces or
 * running SQL. A rebinding attack needs a domain name, so IP addresses are always answered, as are
 * `localhost` and its subdomains, the bind address and the machine's name.
 */
import { isIP } from 'node:net';

export interface HostPolicy {
  /** `*` was configured: every Host is answered (behind a proxy that checks it, say). */
  any: boolean;
  names: ReadonlySet<string>;
  /** From patterns such as `.example.com`: example.com and every name under it. */
  suffixes: readonly string[];
}

/** The entries of a comma-separated setting, trimmed; empty ones are skipped. */
export function listSetting(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

const NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** Why an allowedHosts entry is not usable, or null. */
export function hostPatternProblem(pattern: string): string | null {
  if (pattern === '*') return null;
  const name = pattern.startsWith('.') ? pattern.slice(1) : pattern;
  if (isIP(name) || NAME.test(name.toLowerCase())) return null;
  return 'is not a host name (such as traces.example.com), a .domain for it and its subdomains, or *';
}

/** The policy of the allowedHosts setting plus the names this server always answers to. */
export function hostPolicy(allowedHosts: string, builtInNames: readonly string[]): HostPolicy {
  const patterns = listSetting(allowedHosts).map((pattern) => pattern.toLowerCase());
  const names = new Set(['localhost', ...builtInNames.map((name) => name.toLowerCase())]);
  const suffixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('.')) suffixes.push(pattern.slice(1));
    else names.add(pattern);
  }
  return { any: patterns.includes('*'), names, suffixes };
}

/** The host name of a Host header ("name:port", "[::1]:port"), lower case, without a final dot; null when malformed. */
export function hostnameOf(hostHeader: string): string | null {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](:\d+)?$/.exec(hostHeader);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1]!.toLowerCase() : null;
  const plain = /^([^:[\]]+)(:\d+)?$/.exec(hostHeader);
  if (!plain) return null;
  const name = plain[1]!.toLowerCase().replace(/\.$/, '');
  return isIP(name) || NAME.test(name) ? name : null;
}

/** Whether a request with this Host header is answered. A request without one is not a browser's. */
export function isHostAllowed(hostHeader: string | undefined, policy: HostPolicy): boolean {
  if (policy.any || hostHeader === undefined) return true;
  const name = hostnameOf(hostHeader);
  if (name === null) return false;
  if (isIP(name) || name === 'localhost' || name.endsWith('.localhost') || policy.names.has(name)) return true;
  return policy.suffixes.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/** Whether a bind address is reachable only from this machine. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
