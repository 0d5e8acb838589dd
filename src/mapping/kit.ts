/**
 * Helpers shared by the adapters under adapters/: validating a source row against the adapter's
 * source.schema.json (ajv errors become quarantine entries with stable codes, naming the partner's own
 * field), turning identifier checks into entries, and reading CSV cells.
 */
import type { ErrorObject } from 'ajv';
import { createAjv } from '../config/ajv';
import type { IdentifierCheck } from '../identifiers';
import type { CanonicalRecord } from '../records/canonical';
import type { QuarantineEntry } from './types';

/** Codes of source-row problems (identifier checks bring their own, e.g. VIN_CHECK_DIGIT). */
export const SOURCE_CODES = {
  /** A required field is absent or empty. */
  FIELD_MISSING: 'FIELD_MISSING',
  /** A field has the wrong JSON type, or a CSV cell does not read as the type (e.g. year "nineteen"). */
  FIELD_TYPE: 'FIELD_TYPE',
  /** A field has the right type but the wrong form (date format, length, range, pattern). */
  FIELD_FORMAT: 'FIELD_FORMAT',
  /** A field's value is not one the mapping knows (e.g. an unknown status). */
  FIELD_VALUE: 'FIELD_VALUE',
} as const;

/** A JSON pointer ("/engines/0/serial") as the partner's field name for a quarantine entry. */
export type FieldNamer = (pointer: string) => string;

/** "/engines/0/serial" → "engines[0].serial"; "" → "(row)". */
export function jsonPath(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (!parts.length) return '(row)';
  return parts.reduce(
    (acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    '',
  );
}

export type SourceCheck = (row: unknown, rowNumber: number, name?: FieldNamer) => QuarantineEntry[];

/** Compiles a source schema once; the check returns one entry per problem (all problems of the row). */
export function compileSourceSchema(schema: object): SourceCheck {
  const validate = createAjv().compile(schema);
  return (row, rowNumber, name = jsonPath) => {
    if (validate(row)) return [];
    const seen = new Set<string>();
    const entries: QuarantineEntry[] = [];
    for (const error of validate.errors ?? []) {
      const pointer = errorPointer(error);
      const entry = { row: rowNumber, field: name(pointer), code: codeOf(error), message: messageOf(error) };
      const key = `${entry.field}|${entry.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push(entry);
    }
    return entries;
  };
}

function errorPointer(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${String(error.params.missingProperty)}`;
  return error.instancePath;
}

function codeOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return SOURCE_CODES.FIELD_MISSING;
    case 'type':
      return SOURCE_CODES.FIELD_TYPE;
    case 'enum':
    case 'const':
      return SOURCE_CODES.FIELD_VALUE;
    case 'minItems':
    case 'minLength':
      // An empty list or an empty string is a missing value to a partner.
      return error.params.limit === 1 ? SOURCE_CODES.FIELD_MISSING : SOURCE_CODES.FIELD_FORMAT;
    default:
      return SOURCE_CODES.FIELD_FORMAT;
  }
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum')
    return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return error.message ?? 'is invalid';
}

/** The errors of an identifier check as quarantine entries; its warnings go to `warnings`. */
export function identifierEntries(
  check: IdentifierCheck,
  row: number,
  field: string,
  warnings: QuarantineEntry[],
): QuarantineEntry[] {
  for (const w of check.warnings) warnings.push({ row, field, code: w.code, message: w.message });
  return check.errors.map((e) => ({ row, field, code: e.code, message: e.message }));
}

/** A CSV cell (or JSON value) as trimmed text; empty and non-strings are undefined. */
export function cell(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A CSV cell that should hold an integer: the number when it reads as one, else the text (so the
 * schema reports FIELD_TYPE), undefined when empty. */
export function intCell(value: unknown): number | string | undefined {
  const text = cell(value);
  if (text === undefined) return undefined;
  return /^[+-]?\d+$/.test(text) ? Number(text) : text;
}

/** Like intCell for any decimal number ("12.5", "12,5"). */
export function numberCell(value: unknown): number | string | undefined {
  const text = cell(value);
  if (text === undefined) return undefined;
  const normal = text.replace(',', '.');
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(normal) ? Number(normal) : text;
}

/**
 * `value` without the keys whose value is undefined, in the same order: what compactObject leaves,
 * but `value` is never changed: it is returned as it is when it has no such key, else copied by
 * adding properties to a new object (deleting them would put the object in V8's slow dictionary
 * mode, which every later read, validation and JSON.stringify of it pays for).
 */
export function pruned<T extends object>(value: T): T {
  // Usually nothing is undefined: then `value` itself will do (callers pass an object of their own,
  // made for this), and an object literal kept as it is is the fastest to read and serialise.
  let complete = true;
  for (const key in value) {
    if (value[key] === undefined) {
      complete = false;
      break;
    }
  }
  if (complete) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/** Drops the keys whose value is undefined (records and source rows never carry undefined). */
export function compactObject<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** The part of a normalised engine serial ("MANUFACTURER:SERIAL") after the manufacturer. */
export function serialPart(value: string): { manufacturer: string; serial: string } {
  const colon = value.indexOf(':');
  return colon === -1
    ? { manufacturer: '', serial: value }
    : { manufacturer: value.slice(0, colon), serial: value.slice(colon + 1) };
}

/**
 * The reverse mapping's first step, shared by every adapter: records regrouped by linkId (a record
 * without one stands alone under its sourceRef), groups in order of first appearance.
 */
export function groupByLink(records: CanonicalRecord[]): CanonicalRecord[][] {
  const groups = new Map<string, CanonicalRecord[]>();
  for (const record of records) {
    const key = record.linkId ?? `sourceRef:${record.sourceRef}`;
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return [...groups.values()];
}
