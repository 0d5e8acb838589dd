/**
 * A quick "certainly valid" check compiled from a JSON Schema, to run before ajv on hot paths (every
 * record of a large partner file). It answers true only when the value is valid for the schema, and
 * false when it is invalid OR when it cannot tell cheaply (a keyword it does not know, a string long
 * enough that code points must be counted, ...): then the caller asks ajv, which stays the authority
 * and produces the error messages. So the check can make validation faster but never changes its result.
 *
 * Known keywords: type (object, array, string, integer, number, boolean, null), enum and const of
 * primitives, required, properties, additionalProperties (boolean), items (one schema), minItems,
 * maxItems, minLength, maxLength, minimum, maximum, format (through the ajv instance's own format),
 * allOf, $ref (to a schema added by $id), boolean schemas. Annotations are ignored. Anything else makes
 * that schema "cannot tell".
 *
 * Semantics follow ajv 8 with the options of src/config/ajv.ts (no coercion, no defaults, no removal):
 * a property counts as present when `value[name] !== undefined`, additional properties are the keys of
 * `for…in`, string lengths are in code points.
 */
import type Ajv from 'ajv';

type Check = (value: unknown) => boolean;

const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

const NEVER: Check = () => false;
const ALWAYS: Check = () => true;

/** Compiles `schema`; `$ref`s are resolved against `schemas` (by $id) and the format names against `ajv`. */
export function compileFastCheck(schema: unknown, options: { ajv: Ajv; schemas?: object[] }): Check {
  const byId = new Map<string, unknown>();
  for (const s of [schema, ...(options.schemas ?? [])]) {
    const id = (s as { $id?: unknown })?.$id;
    if (typeof id === 'string') byId.set(id, s);
  }
  const compiled = new Map<unknown, Check>();

  const compile = (node: unknown, base: string | undefined): Check => {
    if (node === true) return ALWAYS;
    if (node === false) return NEVER;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return NEVER;
    const cached = compiled.get(node);
    if (cached) return cached;
    // Recursion through $ref: a placeholder until the real check exists.
    let real: Check = NEVER;
    compiled.set(node, (value) => real(value));
    real = build(node as Record<string, unknown>, base);
    compiled.set(node, real);
    return real;
  };

  const build = (s: Record<string, unknown>, outerBase: string | undefined): Check => {
    const base = typeof s.$id === 'string' ? s.$id : outerBase;
    const checks: Check[] = [];
    for (const [keyword, arg] of Object.entries(s)) {
      if (ANNOTATIONS.has(keyword)) continue;
      const check = keywordCheck(keyword, arg, s, base);
      if (!check) return NEVER;
      if (check !== ALWAYS) checks.push(check);
    }
    return all(checks);
  };

  const keywordCheck = (
    keyword: string,
    arg: unknown,
    s: Record<string, unknown>,
    base: string | undefined,
  ): Check | undefined => {
    switch (keyword) {
      case 'type':
        return typeof arg === 'string' ? typeCheck(arg) : undefined;
      case 'enum': {
        if (!Array.isArray(arg) || !arg.every(isPrimitive)) return undefined;
        const allowed = new Set<unknown>(arg);
        return (value) => allowed.has(value) && !Number.isNaN(value);
      }
      case 'const':
        return isPrimitive(arg) ? (value) => value === arg : undefined;
      case 'required': {
        if (!Array.isArray(arg) || !arg.every((p) => typeof p === 'string')) return undefined;
        const names = arg as string[];
        return (value) => {
          if (!isObject(value)) return true;
          for (const name of names) if (value[name] === undefined) return false;
          return true;
        };
      }
      case 'properties': {
        if (!isPlainObject(arg)) return undefined;
        const entries = Object.entries(arg).map(([name, sub]) => [name, compile(sub, base)] as const);
        return (value) => {
          if (!isObject(value)) return true;
          for (const [name, check] of entries) {
            const v = value[name];
            if (v !== undefined && !check(v)) return false;
          }
          return true;
        };
      }
      case 'additionalProperties': {
        if (arg === true) return ALWAYS;
        if (arg !== false) return undefined;
        if (s.patternProperties !== undefined) return undefined;
        const known = new Set(isPlainObject(s.properties) ? Object.keys(s.properties) : []);
        return (value) => {
          if (!isObject(value)) return true;
          for (const key in value) if (!known.has(key)) return false;
          return true;
        };
      }
      case 'items': {
        if (Array.isArray(arg)) return undefined;
        const check = compile(arg, base);
        return (value) => {
          if (!Array.isArray(value)) return true;
          for (const item of value) if (!check(item)) return false;
          return true;
        };
      }
      case 'minItems':
      case 'maxItems': {
        if (typeof arg !== 'number') return undefined;
        const min = keyword === 'minItems';
        return (value) => !Array.isArray(value) || (min ? value.length >= arg : value.length <= arg);
      }
      case 'minLength':
        // A string has at most .length code points and at least half as many.
        return typeof arg === 'number'
          ? (value) => typeof value !== 'string' || Math.ceil(value.length / 2) >= arg
          : undefined;
      case 'maxLength':
        return typeof arg === 'number'
          ? (value) => typeof value !== 'string' || value.length <= arg
          : undefined;
      case 'minimum':
      case 'maximum': {
        if (typeof arg !== 'number') return undefined;
        const min = keyword === 'minimum';
        return (value) => typeof value !== 'number' || (min ? value >= arg : value <= arg);
      }
      case 'format': {
        const test = typeof arg === 'string' ? formatTest(options.ajv, arg) : undefined;
        return test && ((value) => typeof value !== 'string' || test(value));
      }
      case 'allOf': {
        if (!Array.isArray(arg)) return undefined;
        return all(arg.map((sub) => compile(sub, base)));
      }
      case '$ref': {
        if (typeof arg !== 'string') return undefined;
        let target: unknown;
        try {
          target = byId.get(new URL(arg, base).href);
        } catch {
          return undefined;
        }
        if (target === undefined) return undefined;
        // Checked lazily: the target may be this very schema.
        let check: Check | undefined;
        return (value) => (check ??= compile(target, undefined))(value);
      }
      default:
        return undefined;
    }
  };

  return compile(schema, undefined);
}

function all(checks: Check[]): Check {
  if (checks.length === 0) return ALWAYS;
  if (checks.length === 1) return checks[0]!;
  return (value) => {
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

function typeCheck(type: string): Check | undefined {
  switch (type) {
    case 'object':
      return isObject;
    case 'array':
      return Array.isArray;
    case 'string':
      return (value) => typeof value === 'string';
    case 'integer':
      return Number.isInteger as Check;
    case 'number':
      return Number.isFinite as Check;
    case 'boolean':
      return (value) => typeof value === 'boolean';
    case 'null':
      return (value) => value === null;
    default:
      return undefined;
  }
}

/** The ajv instance's own test for a format (so "valid" means the same thing), if it is a plain one. */
function formatTest(ajv: Ajv, name: string): ((value: string) => boolean) | undefined {
  const format: unknown = (ajv as unknown as { formats: Record<string, unknown> }).formats[name];
  // A format of numbers applies to numbers too, which the check below lets through: not handled.
  if (isPlainObject(format) && format.type !== undefined && format.type !== 'string') return undefined;
  const definition =
    isPlainObject(format) && (format.async === undefined || format.async === false)
      ? format.validate
      : format;
  if (typeof definition === 'function') {
    const fn = definition as (value: string) => unknown;
    return (value) => fn(value) === true;
  }
  if (definition instanceof RegExp) {
    const regexp = new RegExp(definition.source, definition.flags.replace(/[gy]/g, ''));
    return (value) => regexp.test(value);
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
