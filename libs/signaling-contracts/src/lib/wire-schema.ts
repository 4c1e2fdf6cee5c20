/**
 * A small runtime schema for the values that travel on to mediasoup: which
 * fields exist, which are optional, and the exact wire type mediasoup's
 * FlatBuffers schema gives each one (an integer where it has `uint8`/`uint32`,
 * a closed set where it has an enum, bounded strings and arrays). Schemas are
 * written next to the contract's TypeScript types and typed against them
 * ({@link WireSchemaOf}), so a field added to a type without its wire rule, or
 * a rule for a field the type does not have, is a compile error.
 *
 * {@link checkWire} walks only as deep as the schema (every schema is finite),
 * so its cost is linear in the input, which is size- and depth-bounded before.
 */

export interface IntRule {
  kind: 'int';
  min: number;
  max: number;
}
export interface NumberRule {
  kind: 'number';
  min: number;
  max: number;
}
export interface StringRule {
  kind: 'string';
  minLength?: number;
  maxLength: number;
  /** A closed set (mediasoup enum on the wire). */
  oneOf?: readonly string[];
  pattern?: RegExp;
  /** Human words for `pattern`, used in the error message. */
  patternHint?: string;
}
export interface BooleanRule {
  kind: 'boolean';
}
export interface ArrayRule<E = unknown> {
  kind: 'array';
  items: WireSchemaOf<E>;
  minItems?: number;
  maxItems: number;
}
export interface FieldRule<V> {
  rule: WireSchemaOf<V>;
  optional?: boolean;
}
export interface ObjectRule<T = unknown> {
  kind: 'object';
  fields: { [K in keyof T]-?: undefined extends T[K] ? FieldRule<Exclude<T[K], undefined>> & { optional: true } : FieldRule<T[K]> & { optional?: false } };
}
/**
 * Codec / header extension `parameters` as mediasoup serializes them: each value
 * a boolean, an int32, a finite double, a string or an array of int32 (anything
 * else makes mediasoup throw half-way through building a worker request).
 */
export interface ParametersRule {
  kind: 'parameters';
  maxKeys: number;
  maxKeyLength: number;
  maxStringLength: number;
  maxArrayItems: number;
}
/** Opaque JSON kept by the server (appData): only its size is bounded (depth is bounded for every message). */
export interface JsonObjectRule {
  kind: 'jsonObject';
  maxKeys: number;
}

/** Any rule, untyped: what {@link checkWire} walks (the typed forms above all assign to it). */
export type WireRule =
  | IntRule
  | NumberRule
  | StringRule
  | BooleanRule
  | { kind: 'array'; items: WireRule; minItems?: number; maxItems: number }
  | { kind: 'object'; fields: Record<string, { rule: WireRule; optional?: boolean }> }
  | ParametersRule
  | JsonObjectRule;

/** The rule a value of type `T` must have: picked by `T`, so schema and type cannot disagree. */
export type WireSchemaOf<T> = [T] extends [boolean]
  ? BooleanRule
  : [T] extends [number]
    ? IntRule | NumberRule
    : [T] extends [string]
      ? StringRule
      : T extends readonly (infer E)[]
        ? ArrayRule<E>
        : T extends object
          ? string extends keyof T
            ? ParametersRule | JsonObjectRule
            : ObjectRule<T>
          : never;

export const UINT8 = 255;
export const UINT16 = 65_535;
export const UINT32 = 4_294_967_295;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export const int = (min: number, max: number): IntRule => ({ kind: 'int', min, max });
export const num = (min: number, max: number): NumberRule => ({ kind: 'number', min, max });
export const bool: BooleanRule = { kind: 'boolean' };
export const str = (maxLength: number, extra: Omit<StringRule, 'kind' | 'maxLength'> = {}): StringRule => ({ kind: 'string', maxLength, ...extra });
export const oneOf = (values: readonly string[]): StringRule => ({ kind: 'string', maxLength: Math.max(...values.map((v) => v.length)), oneOf: values });
// The helpers keep the concrete rule types, so that assigning them to an
// `ObjectRule<T>` field checks each rule against the field's type.
export const arrayOf = <R extends WireRule>(items: R, maxItems: number, minItems = 0): { kind: 'array'; items: R; maxItems: number; minItems: number } => ({ kind: 'array', items, maxItems, minItems });
export const objectOf = <T>(fields: ObjectRule<T>['fields']): ObjectRule<T> => ({ kind: 'object', fields });
export const opt = <R extends WireRule>(rule: R): { rule: R; optional: true } => ({ rule, optional: true });
export const req = <R extends WireRule>(rule: R): { rule: R } => ({ rule });

/** One problem: the path of the field (`encodings[0].maxBitrate`) and what it must be. */
export interface WireProblem {
  path: string;
  message: string;
}

/** Property names that could reach an object's prototype; refused anywhere in a message. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks `value` against `rule`; returns every problem found (at most
 * `maxProblems`), each naming the field. An empty list means mediasoup can
 * serialize it.
 */
export function checkWire(rule: WireRule, value: unknown, path: string, maxProblems = 10): WireProblem[] {
  const problems: WireProblem[] = [];
  const add = (p: string, message: string): void => {
    if (problems.length < maxProblems) problems.push({ path: p, message });
  };
  const visit = (r: WireRule, v: unknown, p: string): void => {
    if (problems.length >= maxProblems) return;
    switch (r.kind) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < r.min || v > r.max) add(p, `must be an integer from ${r.min} to ${r.max}, got ${describeValue(v)}`);
        return;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < r.min || v > r.max) add(p, `must be a number from ${r.min} to ${r.max}, got ${describeValue(v)}`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') add(p, `must be a boolean, got ${describeValue(v)}`);
        return;
      case 'string': {
        if (typeof v !== 'string') return add(p, `must be a string, got ${describeValue(v)}`);
        if (r.oneOf) {
          if (!r.oneOf.includes(v)) add(p, `must be one of ${r.oneOf.map((o) => JSON.stringify(o)).join(', ')}, got ${describeValue(v)}`);
          return;
        }
        if (v.length < (r.minLength ?? 0) || v.length > r.maxLength) return add(p, `must be a string of ${r.minLength ?? 0} to ${r.maxLength} characters, got ${v.length}`);
        if (r.pattern && !r.pattern.test(v)) add(p, `must be ${r.patternHint ?? `a string matching ${r.pattern}`}, got ${describeValue(v)}`);
        return;
      }
      case 'array': {
        if (!Array.isArray(v)) return add(p, `must be an array, got ${describeValue(v)}`);
        if (v.length < (r.minItems ?? 0) || v.length > r.maxItems) return add(p, `must have ${r.minItems ?? 0} to ${r.maxItems} items, got ${v.length}`);
        v.forEach((item, i) => visit(r.items, item, `${p}[${i}]`));
        return;
      }
      case 'object': {
        if (!isPlainObject(v)) return add(p, `must be an object, got ${describeValue(v)}`);
        const fields = r.fields;
        for (const key of Object.keys(v)) {
          if (!Object.prototype.hasOwnProperty.call(fields, key) || RESERVED_KEYS.has(key)) add(`${p}.${key}`, 'is not a known field');
        }
        for (const [key, field] of Object.entries(fields)) {
          const child = v[key];
          if (child === undefined) {
            if (!field.optional) add(`${p}.${key}`, 'is required');
            continue;
          }
          visit(field.rule, child, `${p}.${key}`);
        }
        return;
      }
      case 'parameters': {
        if (!isPlainObject(v)) return add(p, `must be an object, got ${describeValue(v)}`);
        const keys = Object.keys(v);
        if (keys.length > r.maxKeys) return add(p, `must have at most ${r.maxKeys} entries, got ${keys.length}`);
        for (const key of keys) {
          const at = `${p}.${key}`;
          if (key.length === 0 || key.length > r.maxKeyLength || RESERVED_KEYS.has(key)) {
            add(at, `is not an allowed parameter name`);
            continue;
          }
          const value = v[key];
          if (typeof value === 'boolean') continue;
          if (typeof value === 'number') {
            if (!Number.isFinite(value) || (Number.isInteger(value) && (value < INT32_MIN || value > INT32_MAX))) add(at, `must be a finite number (integers within int32), got ${describeValue(value)}`);
            continue;
          }
          if (typeof value === 'string') {
            if (value.length > r.maxStringLength) add(at, `must be at most ${r.maxStringLength} characters, got ${value.length}`);
            continue;
          }
          if (Array.isArray(value)) {
            if (value.length > r.maxArrayItems || !value.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX)) {
              add(at, `must be an array of at most ${r.maxArrayItems} int32 integers`);
            }
            continue;
          }
          add(at, `must be a boolean, number, string or array of integers, got ${describeValue(value)}`);
        }
        return;
      }
      case 'jsonObject': {
        if (!isPlainObject(v)) return add(p, `must be an object, got ${describeValue(v)}`);
        const keys = Object.keys(v).length;
        if (keys > r.maxKeys) add(p, `must have at most ${r.maxKeys} keys, got ${keys}`);
        return;
      }
    }
  };
  visit(rule, value, path);
  return problems;
}
