/**
 * Bearer tokens: parsing the configured lists and checking a presented token against them in constant
 * time. Tokens are compared as SHA-256 digests, so that neither a token's characters nor its length
 * change how long the comparison takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Shorter tokens are refused: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 1024;

/** Why `token` cannot be a token, or null when it can. */
export function tokenProblem(token: string): string | null {
  if (token.length < MIN_TOKEN_LENGTH) return `a token must be at least ${MIN_TOKEN_LENGTH} characters long`;
  if (token.length > MAX_TOKEN_LENGTH) return `a token may be at most ${MAX_TOKEN_LENGTH} characters long`;
  // What an Authorization header carries unchanged; commas separate tokens in a setting.
  if (!/^[\x21-\x7e]+$/.test(token) || token.includes(',')) return 'a token may hold only visible ASCII characters, no spaces or commas';
  return null;
}

/** The tokens of a comma-separated setting, trimmed; empty entries are skipped. */
export function splitTokenSetting(text: string): string[] {
  return text
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/** The tokens of a tokens file: one a line; blank lines and lines starting with # are skipped. */
export function splitTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case), else undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A set of accepted tokens; an empty set asks for none. */
export class TokenSet {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  static readonly NONE = new TokenSet([]);

  /** Whether a token is needed at all. */
  get required(): boolean {
    return this.digests.length > 0;
  }

  get size(): number {
    return this.digests.length;
  }

  /** Whether an `Authorization` header value is a bearer token of this set (always true when none is required). */
  acceptsHeader(authorization: string | undefined): boolean {
    if (!this.required) return true;
    const token = bearerToken(authorization);
    return token !== undefined && this.accepts(token);
  }

  /** Compares against every token, without stopping at a match, so the time taken says nothing of which matched. */
  accepts(token: string): boolean {
    const presented = digest(token);
    let matched = false;
    for (const known of this.digests) matched = timingSafeEqual(presented, known) || matched;
    return matched;
  }
}
