/**
 * The certificate and key all three listeners serve, read from `tlsCertFile` / `tlsKeyFile` and read
 * again whenever either file changes, so that a renewed certificate is served without a restart. A
 * pair that does not load (a half-written file, a key that does not match the certificate yet) leaves
 * the previous pair in force and is logged; the next change tries again.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config.js';
import type { Log } from '../logger.js';
import { watchFiles } from '../watchFiles.js';

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair; throws ConfigError saying which file is wrong. */
export function loadCertificatePair(certFile: string, keyFile: string): CertificatePair {
  const read = (path: string, setting: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`${setting}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const pair = { cert: read(certFile, 'tlsCertFile'), key: read(keyFile, 'tlsKeyFile') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ConfigError(`tlsCertFile ${certFile} and tlsKeyFile ${keyFile} are not a PEM certificate and its private key: ${(error as Error).message}`);
  }
  return pair;
}

export class TlsFiles {
  private current: CertificatePair;
  private readonly listeners = new Set<(pair: CertificatePair) => void>();
  private readonly stopWatching: () => void;

  /** Throws ConfigError when the pair cannot be loaded. */
  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly log: Log,
  ) {
    this.current = loadCertificatePair(certFile, keyFile);
    this.stopWatching = watchFiles([certFile, keyFile], () => this.reload());
  }

  get pair(): CertificatePair {
    return this.current;
  }

  /** Calls `listener` with each new pair; returns the function that stops it. */
  onChange(listener: (pair: CertificatePair) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopWatching();
    this.listeners.clear();
  }

  private reload(): void {
    let next: CertificatePair;
    try {
      next = loadCertificatePair(this.certFile, this.keyFile);
    } catch (error) {
      this.log.warn(`ducktrace: ${(error as Error).message}; the previous certificate stays in force`);
      return;
    }
    if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key)) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
    this.log.info(`ducktrace: TLS certificate reloaded from ${this.certFile}`);
  }
}
