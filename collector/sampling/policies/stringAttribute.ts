/**
 * Keeps traces where some span (or resource) has the string attribute `key` equal to one of `values` or
 * fully matching `regex`; `invert` keeps the traces where none does.
 *
 * JavaScript regexes backtrack, so a configured pattern is restricted to a subset that cannot run away
 * (checked by `compileSafeRegex`): at most MAX_PATTERN_LENGTH characters; no backreferences, lookarounds or
 * named groups; no quantifier on a group that itself contains a quantifier or an alternation (the
 * exponential cases such as `(a+)+`, `(a|a)*`; `?` on such a group is fine); at most MAX_UNBOUNDED_QUANTIFIERS unbounded quantifiers
 * (`*`, `+`, `{n,}`) and bounded repetition counts of at most MAX_REPEAT. Values longer than
 * MAX_MATCHED_LENGTH never match the regex (their prefix is not tested). With two unbounded quantifiers and
 * 1024 characters, the worst case is about 10^6 steps. The pattern is matched whole (`^(?:re)$`), like RE2's
 * full match in the query API's `=~` filter.
 */
import { ATTRIBUTE_TYPE } from '../../../core/model/span.js';
import { deterministic, someAttribute, type AttributeScope, type PolicyResult, type SamplingPolicy, type TraceView } from './policy.js';

export const MAX_PATTERN_LENGTH = 256;
export const MAX_MATCHED_LENGTH = 1024;
export const MAX_UNBOUNDED_QUANTIFIERS = 2;
export const MAX_REPEAT = 100;

export interface StringAttributeOptions {
  key: string;
  values?: readonly string[] | undefined;
  regex?: string | undefined;
  invert?: boolean | undefined;
  scope?: AttributeScope | undefined;
}

export class StringAttributePolicy implements SamplingPolicy {
  readonly type = 'string_attribute';
  readonly randomness = 'none';
  private readonly values: Set<string>;
  private readonly regex: RegExp | undefined;

  /** Throws Error with the reason when the regex is not in the safe subset. */
  constructor(
    readonly name: string,
    private readonly options: StringAttributeOptions,
  ) {
    this.values = new Set(options.values ?? []);
    this.regex = options.regex === undefined ? undefined : compileSafeRegex(options.regex);
  }

  evaluate(trace: TraceView): PolicyResult {
    const matched = someAttribute(trace, this.options.key, this.options.scope ?? 'any', (type, text) => {
      if (type !== ATTRIBUTE_TYPE.string) return false;
      if (this.values.has(text)) return true;
      return this.regex !== undefined && text.length <= MAX_MATCHED_LENGTH && this.regex.test(text);
    });
    return deterministic(matched !== (this.options.invert ?? false));
  }
}

/** Compiles a pattern of the safe subset as a full-match RegExp (unicode mode); throws Error saying why not. */
export function compileSafeRegex(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`a regex is limited to ${MAX_PATTERN_LENGTH} characters`);
  checkSafe(pattern);
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    throw new Error(`not a valid regex: ${(error as Error).message}`);
  }
}

interface Group {
  /** The group holds a quantifier or an alternation. */
  risky: boolean;
}

function checkSafe(pattern: string): void {
  const stack: Group[] = [{ risky: false }];
  let unbounded = 0;
  // Whether the previous atom was a group that holds a quantifier or alternation.
  let lastAtomRiskyGroup = false;
  let i = 0;
  const top = () => stack[stack.length - 1]!;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') throw new Error('backreferences are not allowed');
      i += 2;
      lastAtomRiskyGroup = false;
      continue;
    }
    if (c === '[') {
      // A character class is one atom; skip to its closing bracket.
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      if (i >= pattern.length) throw new Error('unterminated character class');
      i++;
      lastAtomRiskyGroup = false;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        if (pattern[i + 2] !== ':') throw new Error('lookarounds and named groups are not allowed; use (...) or (?:...)');
        i += 3;
      } else i++;
      stack.push({ risky: false });
      lastAtomRiskyGroup = false;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) throw new Error('unbalanced parenthesis');
      const group = stack.pop()!;
      if (group.risky) top().risky = true;
      lastAtomRiskyGroup = group.risky;
      i++;
      continue;
    }
    if (c === '|') {
      top().risky = true;
      lastAtomRiskyGroup = false;
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let isUnbounded = c !== '?';
      let repeats = c !== '?';
      let end = i + 1;
      if (c === '{') {
        const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!match) {
          // A literal '{' in unicode mode is a syntax error; RegExp reports it.
          i++;
          lastAtomRiskyGroup = false;
          continue;
        }
        const lo = Number(match[1]);
        const hi = match[2] === undefined ? lo : match[3] === '' ? Infinity : Number(match[3]);
        if (lo > MAX_REPEAT || (hi !== Infinity && hi > MAX_REPEAT)) throw new Error(`repetition counts are limited to ${MAX_REPEAT}`);
        isUnbounded = hi === Infinity;
        repeats = hi > 1;
        end = i + match[0].length;
      }
      if (lastAtomRiskyGroup && repeats) throw new Error('a quantifier on a group holding a quantifier or "|" can backtrack exponentially');
      if (isUnbounded && ++unbounded > MAX_UNBOUNDED_QUANTIFIERS) {
        throw new Error(`at most ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (*, +, {n,}) are allowed`);
      }
      top().risky = true;
      if (pattern[end] === '?') end++; // lazy
      i = end;
      lastAtomRiskyGroup = false;
      continue;
    }
    i++;
    lastAtomRiskyGroup = false;
  }
  if (stack.length !== 1) throw new Error('unbalanced parenthesis');
}
