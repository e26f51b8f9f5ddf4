/**
 * One pass over an OTLP/JSON ExportTraceServiceRequest that checks it is JSON and finds, without parsing
 * them, the bytes of each resource, scope, schemaUrl and span: each is then parsed on its own, so that a
 * large body is decoded span by span with pauses between (slices.ts) instead of by one JSON.parse that
 * holds the event loop for the whole body. Spans are counted as they are found, before any is parsed.
 *
 * What would make one piece costly to parse is refused or marked while scanning: a number token longer
 * than MAX_NUMBER_CHARS fails the request; a piece holding a container of more entries than any limit
 * lets a span keep, or nesting deeper than an attribute value may, gets a flaw and is rejected unparsed.
 */
import { InvalidSpanError, MalformedRequestError } from './limits.js';
import type { Pauser, Steps } from './slices.js';

/** The longest number token accepted: OTLP's longest, an int64 or a double, takes about 25 characters. */
export const MAX_NUMBER_CHARS = 64;

/** Bytes scanned between two questions whether to pause. */
const BYTES_PER_STEP = 256 * 1024;

/** A value's bytes [start, end); `flaw` is why it is rejected without being parsed. */
export interface Piece {
  start: number;
  end: number;
  flaw: string | null;
}

export interface ScopeSpansPieces {
  scope: Piece | null;
  schemaUrl: Piece | null;
  spans: Piece[];
}

export interface ResourceSpansPieces {
  resource: Piece | null;
  schemaUrl: Piece | null;
  scopeSpans: ScopeSpansPieces[];
}

export interface ScanBounds {
  /** Entries of one array or object inside a piece, and the flaw of a piece with more. */
  maxEntries: number;
  tooManyEntries: string;
  /** Nesting inside a piece, and the flaw of a piece nested deeper. */
  maxDepth: number;
  tooDeep: string;
  /** Called as each resourceSpans, scopeSpans and span is found; may throw to stop the scan. */
  found(what: 'resourceSpans' | 'scopeSpans' | 'spans'): void;
}

// Roles of the containers above the pieces.
const ROOT = 0;
const RESOURCE_SPANS_LIST = 1;
const RESOURCE_SPANS = 2;
const SCOPE_SPANS_LIST = 3;
const SCOPE_SPANS = 4;
const SPAN_LIST = 5;

// What comes next.
const VALUE = 0;
const FIRST_KEY_OR_END = 1;
const KEY = 2;
const COLON = 3;
const FIRST_VALUE_OR_END = 4;
const COMMA_OR_END = 5;
const NOTHING = 6;
/** Within a string: STRING_VALUE or STRING_KEY, then the state after it. */
const STRING_VALUE = 7;
const STRING_KEY = 8;
/** Within a piece that is an object or an array. */
const IN_PIECE = 9;

const OBJECT = 1;
const ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function* scanExportTraceRequest(body: Buffer, bounds: ScanBounds, pauser: Pauser): Steps<ResourceSpansPieces[]> {
  const scanner = new RequestScanner(body, bounds);
  while (!scanner.step()) if (pauser.due()) yield;
  return scanner.resourceSpansList;
}

/** The scan as a state machine whose step() reads BYTES_PER_STEP bytes (a plain method: generators run slower). */
class RequestScanner {
  resourceSpansList: ResourceSpansPieces[] = [];
  private pos = 0;
  private state = VALUE;
  /** A string being read across steps: where it began, and whether it is checked here (else JSON.parse checks it). */
  private stringStart = 0;
  private stringChecked = false;
  /** An unchecked string (see stringEnd) is still open at the end of a step. */
  private stringOpen = false;
  /** The kind of each open container above the pieces or in a skipped value (a piece's own are only counted). */
  private kinds = new Uint8Array(64);
  /** For each level of nesting in the current piece, to maxDepth: the entries of its open container. */
  private readonly entries: Int32Array;
  private depth = 0;
  /** The roles of the open containers above the pieces; deeper ones are inside a piece or a skipped value. */
  private readonly roles: number[] = [];
  private key = '';
  private piece: Piece | null = null;
  private pieceDepth = 0;
  /** Nesting within the current piece. */
  private pieceInner = 0;
  private skipDepth = -1;
  private resourceSpans: ResourceSpansPieces | null = null;
  private scopeSpans: ScopeSpansPieces | null = null;

  constructor(
    private readonly body: Buffer,
    private readonly bounds: ScanBounds,
  ) {
    this.entries = new Int32Array(bounds.maxDepth + 1);
  }

  /** Scans about BYTES_PER_STEP more bytes; true once the body is scanned to its end. */
  step(): boolean {
    const body = this.body;
    const stepEnd = this.pos + BYTES_PER_STEP;
    while (this.pos < stepEnd) {
      if (this.state === IN_PIECE) {
        if (!this.readPiece(stepEnd)) return false;
        continue;
      }
      if (this.state === STRING_VALUE || this.state === STRING_KEY) {
        if (!this.readString(stepEnd)) return false;
        continue;
      }
      let c = body[this.pos];
      while ((c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) && this.pos < stepEnd) c = body[++this.pos];
      if (this.pos >= stepEnd) break;
      if (c === undefined) {
        if (this.state === NOTHING) return true;
        this.fail('unexpected end of the body');
      }
      switch (this.state) {
        case VALUE:
          if (!this.piece && this.skipDepth < 0) this.startValue(c);
          if (this.piece && (c === 0x7b || c === 0x5b)) {
            this.pieceInner = 1;
            this.entries[1] = 0;
            this.pos++;
            this.state = IN_PIECE;
          } else if (c === 0x7b) {
            this.push(OBJECT);
            this.pos++;
            this.state = FIRST_KEY_OR_END;
          } else if (c === 0x5b) {
            this.push(ARRAY);
            this.pos++;
            this.state = FIRST_VALUE_OR_END;
          } else if (c === QUOTE) this.beginString(STRING_VALUE);
          else {
            if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.scanNumber();
            else if (c === 0x74) this.literal('true');
            else if (c === 0x66) this.literal('false');
            else if (c === 0x6e) this.literal('null');
            else this.fail(`unexpected '${String.fromCharCode(c)}'`);
            this.endValue();
          }
          break;
        case FIRST_KEY_OR_END:
          if (c === 0x7d) this.pop(OBJECT);
          else this.state = KEY;
          break;
        case KEY:
          if (c !== QUOTE) this.fail('expected a quoted key');
          this.beginString(STRING_KEY);
          break;
        case COLON:
          if (c !== 0x3a) this.fail("expected ':'");
          this.pos++;
          this.state = VALUE;
          break;
        case FIRST_VALUE_OR_END:
          if (c === 0x5d) this.pop(ARRAY);
          else this.state = VALUE;
          break;
        case COMMA_OR_END:
          if (c === 0x2c) {
            this.pos++;
            this.state = this.kinds[this.depth - 1] === OBJECT ? KEY : VALUE;
          } else if (c === 0x7d) this.pop(OBJECT);
          else if (c === 0x5d) this.pop(ARRAY);
          else this.fail("expected ',' or the end of an object or array");
          break;
        default:
          this.fail('unexpected text after the request');
      }
    }
    return false;
  }

  private fail(what: string): never {
    throw new MalformedRequestError(`json: ${what} at byte ${this.pos}`);
  }

  private flaw(reason: string): void {
    if (this.piece) this.piece.flaw ??= reason;
  }

  /** Where a value starting at `pos` above the pieces goes: into a piece, skipped, or a container above the pieces. */
  private startValue(c: number): void {
    const roles = this.roles;
    const parent = roles.length === 0 ? -1 : roles[roles.length - 1]!;
    const open = c === 0x7b ? OBJECT : c === 0x5b ? ARRAY : 0;
    const isNull = c === 0x6e;
    const key = this.key;
    switch (parent) {
      case -1:
        if (open !== OBJECT) this.fail('the ExportTraceServiceRequest must be an object');
        roles.push(ROOT);
        return;
      case ROOT:
        if (key === 'resourceSpans') return this.list(open, isNull, RESOURCE_SPANS_LIST, 'resourceSpans', () => (this.resourceSpansList = []));
        break;
      case RESOURCE_SPANS_LIST:
        if (open !== OBJECT) this.fail('resourceSpans[] must be an object');
        this.bounds.found('resourceSpans');
        this.resourceSpans = { resource: null, schemaUrl: null, scopeSpans: [] };
        this.resourceSpansList.push(this.resourceSpans);
        roles.push(RESOURCE_SPANS);
        return;
      case RESOURCE_SPANS: {
        const resourceSpans = this.resourceSpans!;
        if (key === 'resource') return void (resourceSpans.resource = this.startPiece());
        if (key === 'schemaUrl') return void (resourceSpans.schemaUrl = this.startPiece());
        if (key === 'scopeSpans') return this.list(open, isNull, SCOPE_SPANS_LIST, 'scopeSpans', () => (resourceSpans.scopeSpans = []));
        break;
      }
      case SCOPE_SPANS_LIST:
        if (open !== OBJECT) this.fail('scopeSpans[] must be an object');
        this.bounds.found('scopeSpans');
        this.scopeSpans = { scope: null, schemaUrl: null, spans: [] };
        this.resourceSpans!.scopeSpans.push(this.scopeSpans);
        roles.push(SCOPE_SPANS);
        return;
      case SCOPE_SPANS: {
        const scopeSpans = this.scopeSpans!;
        if (key === 'scope') return void (scopeSpans.scope = this.startPiece());
        if (key === 'schemaUrl') return void (scopeSpans.schemaUrl = this.startPiece());
        if (key === 'spans') return this.list(open, isNull, SPAN_LIST, 'spans', () => (scopeSpans.spans = []));
        break;
      }
      case SPAN_LIST:
        this.bounds.found('spans');
        this.scopeSpans!.spans.push(this.startPiece());
        return;
    }
    // An unknown field: checked as JSON, not kept.
    if (open) this.skipDepth = this.depth;
  }

  private startPiece(): Piece {
    this.piece = { start: this.pos, end: this.pos, flaw: null };
    this.pieceDepth = this.depth;
    return this.piece;
  }

  /** A repeated field above the pieces: an array, or null for none; a later occurrence replaces an earlier one. */
  private list(open: number, isNull: boolean, role: number, name: string, reset: () => void): void {
    if (open === ARRAY) this.roles.push(role);
    else if (!isNull) this.fail(`${name} must be an array`);
    reset();
  }

  /** After a value: closes the piece or skipped value it ends, if any. */
  private endValue(): void {
    if (this.piece && this.depth === this.pieceDepth) {
      this.piece.end = this.pos;
      this.piece = null;
    }
    if (this.skipDepth === this.depth) this.skipDepth = -1;
    this.state = this.depth === 0 ? NOTHING : COMMA_OR_END;
  }

  private push(kind: number): void {
    if (this.depth === this.kinds.length) {
      const grown = new Uint8Array(this.kinds.length * 2);
      grown.set(this.kinds);
      this.kinds = grown;
    }
    this.kinds[this.depth++] = kind;
  }

  private pop(kind: number): void {
    if (this.kinds[this.depth - 1] !== kind) this.fail(`unexpected '${String.fromCharCode(this.body[this.pos]!)}'`);
    this.depth--;
    if (this.skipDepth < 0 && this.roles.length > this.depth) this.roles.length = this.depth;
    this.pos++;
    this.endValue();
  }

  /**
   * Reads on in the current piece, an object or array, up to `stepEnd`; true once past its end. Only what
   * the pieces' bounds need is looked at (nesting, entries, number lengths, where strings end): JSON.parse
   * checks the rest when it parses the piece.
   */
  private readPiece(stepEnd: number): boolean {
    const body = this.body;
    const entries = this.entries;
    const { maxDepth, maxEntries } = this.bounds;
    let pos = this.pos;
    let inner = this.pieceInner;
    if (this.stringOpen) pos = this.stringEnd(pos, stepEnd);
    while (pos < stepEnd && !this.stringOpen) {
      const c = body[pos]!;
      if (c === QUOTE) {
        pos = this.stringEnd(pos + 1, stepEnd);
      } else if (c === 0x7b || c === 0x5b) {
        pos++;
        if (++inner > maxDepth) this.flaw(this.bounds.tooDeep);
        else entries[inner] = 0;
      } else if (c === 0x7d || c === 0x5d) {
        pos++;
        if (--inner === 0) {
          this.pos = pos;
          this.piece!.end = pos;
          this.piece = null;
          this.state = COMMA_OR_END;
          return true;
        }
      } else if (c === 0x2c) {
        pos++;
        if (inner <= maxDepth && ++entries[inner]! >= maxEntries) this.flaw(this.bounds.tooManyEntries);
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const start = pos;
        let d = body[++pos];
        while (d !== undefined && pos - start <= MAX_NUMBER_CHARS && ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) d = body[++pos];
        if (pos - start > MAX_NUMBER_CHARS) {
          this.pos = start;
          this.fail(`a number is longer than ${MAX_NUMBER_CHARS} characters`);
        }
      } else if (pos >= body.length) {
        this.pos = pos;
        this.fail('unexpected end of the body');
      } else pos++;
    }
    this.pos = pos;
    this.pieceInner = inner;
    return false;
  }

  /**
   * Just past the quote that ends a string whose text goes on at `from`: the next quote not escaped by an
   * odd number of backslashes. Past `stepEnd` (a string of many escaped quotes) it stops with
   * `stringOpen` set, to go on from where it returns at the next step.
   */
  private stringEnd(from: number, stepEnd: number): number {
    const body = this.body;
    for (;;) {
      const quote = body.indexOf(QUOTE, from);
      if (quote < 0) {
        this.pos = body.length;
        this.fail('unterminated string');
      }
      let backslashes = 0;
      while (body[quote - 1 - backslashes] === BACKSLASH) backslashes++;
      this.stringOpen = backslashes % 2 === 1;
      if (!this.stringOpen || quote >= stepEnd) return quote + 1;
      from = quote + 1;
    }
  }

  private beginString(state: number): void {
    this.state = state;
    this.stringStart = this.pos;
    // Inside a piece JSON.parse checks the string; elsewhere (keys above the pieces, skipped values) it is checked here.
    this.stringChecked = !this.piece;
    this.pos++;
  }

  /** Reads on in the current string, up to `stepEnd`; true once past its closing quote. */
  private readString(stepEnd: number): boolean {
    const body = this.body;
    let pos = this.pos;
    if (!this.stringChecked) {
      pos = this.stringEnd(pos, stepEnd);
      if (this.stringOpen) {
        this.pos = pos;
        return false;
      }
    } else {
      for (;;) {
        if (pos >= stepEnd) {
          this.pos = pos;
          return false;
        }
        const c = body[pos];
        if (c === QUOTE) {
          pos++;
          break;
        }
        if (c === undefined) {
          this.pos = pos;
          this.fail('unterminated string');
        }
        if (c < 0x20) {
          this.pos = pos;
          this.fail('control character in a string');
        }
        if (c === BACKSLASH) {
          const e = body[pos + 1];
          if (e === 0x75) {
            for (let i = 2; i < 6; i++) {
              if (!isHexDigit(body[pos + i])) {
                this.pos = pos;
                this.fail('bad \\u escape');
              }
            }
            pos += 6;
          } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) pos += 2;
          else {
            this.pos = pos;
            this.fail('bad escape in a string');
          }
        } else pos++;
      }
    }
    this.pos = pos;
    if (this.state === STRING_KEY) {
      // Keys matter only in the containers above the pieces.
      if (!this.piece && this.skipDepth < 0) this.key = keyText(body, this.stringStart, pos);
      this.state = COLON;
    } else this.endValue();
    return true;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private scanNumber(): void {
    const body = this.body;
    const start = this.pos;
    if (body[this.pos] === 0x2d) this.pos++;
    if (body[this.pos] === 0x30) this.pos++;
    else if (!this.digits()) this.fail('bad number');
    if (body[this.pos] === 0x2e) {
      this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    if (body[this.pos] === 0x65 || body[this.pos] === 0x45) {
      this.pos++;
      if (body[this.pos] === 0x2b || body[this.pos] === 0x2d) this.pos++;
      if (!this.digits()) this.fail('bad number');
    }
    if (this.pos - start > MAX_NUMBER_CHARS) {
      this.pos = start;
      this.fail(`a number is longer than ${MAX_NUMBER_CHARS} characters`);
    }
  }

  /** Reads digits, at most one past the longest number allowed. */
  private digits(): boolean {
    const body = this.body;
    const start = this.pos;
    let pos = start;
    while (pos - start <= MAX_NUMBER_CHARS) {
      const c = body[pos];
      if (c === undefined || c < 0x30 || c > 0x39) break;
      pos++;
    }
    this.pos = pos;
    return pos > start;
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.body[this.pos + i] !== word.charCodeAt(i)) this.fail(`unexpected '${String.fromCharCode(this.body[this.pos]!)}'`);
    }
    this.pos += word.length;
  }
}

function isHexDigit(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** The text of the key string in [start, end) (its quotes included). */
function keyText(body: Buffer, start: number, end: number): string {
  const raw = body.toString('latin1', start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(body.toString('utf8', start, end)) as string) : raw;
}

/** Parses one piece found by the scanner. */
export function parsePiece(body: Buffer, piece: Piece): unknown {
  try {
    return JSON.parse(body.toString('utf8', piece.start, piece.end));
  } catch (error) {
    throw new MalformedRequestError(`json: ${(error as Error).message}`);
  }
}

/** The rejection a piece's flaw means. */
export function flawError(piece: Piece): InvalidSpanError | null {
  return piece.flaw === null ? null : new InvalidSpanError(piece.flaw);
}
