/**
 * AnyValue in its three forms: the OTLP/JSON object (canonical, also used for nested values),
 * the stored text with a type letter (core/model/span.ts), and the typed value the query API returns.
 */
import { ATTRIBUTE_TYPE, type Attributes } from '../model/span.js';
import { InvalidSpanError, type SpanLimits } from './limits.js';

/** OTLP/JSON AnyValue in canonical form: ints as decimal strings, non-finite doubles as strings. */
export type AnyValueJson =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValueJson[] } }
  | { kvlistValue: { values: KeyValueJson[] } }
  | Record<string, never>;

export interface KeyValueJson {
  key: string;
  value: AnyValueJson;
}

/** A scalar or nested value paired with its type letter and stored text. */
export interface StoredValue {
  type: string;
  text: string;
}

export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** OTLP/JSON writes NaN and the infinities as strings. */
export function doubleToJson(value: number): number | string {
  return Number.isFinite(value) && !Object.is(value, -0) ? value : formatDouble(value);
}

/** Stored form of a canonical AnyValue JSON object. */
export function storedValueOfJson(value: AnyValueJson): StoredValue {
  if ('stringValue' in value) return { type: ATTRIBUTE_TYPE.string, text: value.stringValue };
  if ('boolValue' in value) return { type: ATTRIBUTE_TYPE.bool, text: value.boolValue ? 'true' : 'false' };
  if ('intValue' in value) return { type: ATTRIBUTE_TYPE.int, text: value.intValue };
  if ('doubleValue' in value) {
    const d = value.doubleValue;
    return { type: ATTRIBUTE_TYPE.double, text: typeof d === 'number' ? formatDouble(d) : d };
  }
  if ('bytesValue' in value) return { type: ATTRIBUTE_TYPE.bytes, text: value.bytesValue };
  if ('arrayValue' in value) return { type: ATTRIBUTE_TYPE.array, text: JSON.stringify(value.arrayValue.values) };
  if ('kvlistValue' in value) return { type: ATTRIBUTE_TYPE.kvlist, text: JSON.stringify(value.kvlistValue.values) };
  return { type: ATTRIBUTE_TYPE.empty, text: '' };
}

/** Canonical AnyValue JSON object of a stored value: the inverse of `storedValueOfJson`. */
export function jsonOfStoredValue(type: string, text: string): AnyValueJson {
  switch (type) {
    case ATTRIBUTE_TYPE.string:
      return { stringValue: text };
    case ATTRIBUTE_TYPE.bool:
      return { boolValue: text === 'true' };
    case ATTRIBUTE_TYPE.int:
      return { intValue: text };
    case ATTRIBUTE_TYPE.double:
      return { doubleValue: doubleToJson(Number(text)) };
    case ATTRIBUTE_TYPE.bytes:
      return { bytesValue: text };
    case ATTRIBUTE_TYPE.array:
      return { arrayValue: { values: JSON.parse(text) as AnyValueJson[] } };
    case ATTRIBUTE_TYPE.kvlist:
      return { kvlistValue: { values: JSON.parse(text) as KeyValueJson[] } };
    default:
      return {};
  }
}

/** The query API's typed value: `{type, value}`; ints beyond 2^53 and non-finite doubles are strings. */
export type TypedValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: number | string }
  | { type: 'double'; value: number | string }
  | { type: 'bytes'; value: string }
  | { type: 'array'; value: TypedValue[] }
  | { type: 'kvlist'; value: TypedAttribute[] }
  | { type: 'empty'; value: null };

export type TypedAttribute = { key: string } & TypedValue;

export function typedValueOfJson(value: AnyValueJson): TypedValue {
  if ('stringValue' in value) return { type: 'string', value: value.stringValue };
  if ('boolValue' in value) return { type: 'bool', value: value.boolValue };
  if ('intValue' in value) {
    const n = Number(value.intValue);
    return { type: 'int', value: Number.isSafeInteger(n) ? n : value.intValue };
  }
  if ('doubleValue' in value) return { type: 'double', value: value.doubleValue };
  if ('bytesValue' in value) return { type: 'bytes', value: value.bytesValue };
  if ('arrayValue' in value) return { type: 'array', value: value.arrayValue.values.map(typedValueOfJson) };
  if ('kvlistValue' in value) {
    return { type: 'kvlist', value: value.kvlistValue.values.map((kv) => ({ key: kv.key, ...typedValueOfJson(kv.value) })) };
  }
  return { type: 'empty', value: null };
}

export function typedAttributes(attributes: Attributes): TypedAttribute[] {
  return attributes.keys.map((key, i) => ({
    key,
    ...typedValueOfJson(jsonOfStoredValue(attributes.types[i]!, attributes.values[i]!)),
  }));
}

export function otlpJsonAttributes(attributes: Attributes): KeyValueJson[] {
  return attributes.keys.map((key, i) => ({ key, value: jsonOfStoredValue(attributes.types[i]!, attributes.values[i]!) }));
}

/**
 * The most entries an array or kvlist value can hold: each takes two characters of its JSON text at
 * least, and a comma, within maxAttributeValueLength. Past it the value is rejected before more entries
 * are decoded, so that a body of millions of tiny entries does not become millions of objects.
 */
export function maxValueEntries(limits: SpanLimits): number {
  return Math.floor((limits.maxAttributeValueLength - 1) / 3);
}

export function tooManyValueEntries(limits: SpanLimits): InvalidSpanError {
  return new InvalidSpanError(`attribute value holds more array or kvlist entries than ${limits.maxAttributeValueLength} characters can hold`);
}

/** Collects one attribute set in storage form and enforces the per-set limits. */
export class AttributesBuilder {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];
  private types = '';
  private seen: Set<string> | undefined;

  constructor(
    private readonly limits: SpanLimits,
    private readonly where: string,
  ) {}

  add(key: string, value: StoredValue): void {
    if (this.keys.length >= this.limits.maxAttributes) {
      throw new InvalidSpanError(`${this.where} has more than ${this.limits.maxAttributes} attributes`);
    }
    if (key.length > this.limits.maxAttributeKeyLength) {
      throw new InvalidSpanError(`${this.where} attribute key is longer than ${this.limits.maxAttributeKeyLength} characters`);
    }
    if (value.text.length > this.limits.maxAttributeValueLength) {
      throw new InvalidSpanError(
        `${this.where} attribute "${key.slice(0, 100)}" is longer than ${this.limits.maxAttributeValueLength} characters`,
      );
    }
    if (this.isDuplicate(key)) {
      throw new InvalidSpanError(`${this.where} has attribute key "${key.slice(0, 100)}" more than once`);
    }
    this.keys.push(key);
    this.values.push(value.text);
    this.types += value.type;
  }

  /** OTLP requires unique keys, and a storage MAP refuses duplicates. */
  private isDuplicate(key: string): boolean {
    if (this.keys.length < 16) return this.keys.includes(key);
    this.seen ??= new Set(this.keys);
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }

  build(): Attributes {
    return { keys: this.keys, values: this.values, types: this.types };
  }
}
