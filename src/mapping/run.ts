/**
 * The mapping runtime: reads a partner file row by row, maps each row through its adapter, validates
 * every record against schemas/sis, and rejects an identifier seen before in the same input.
 *
 * One event per row, in row order: either all of the row's records or the row's quarantine entries
 * (a row is never half-mapped), so mapped + quarantined = rows read, always.
 *
 * Duplicates: first occurrence wins. The first row that is MAPPED with an identifier owns it; a later
 * row producing the same identifier (same identifierKey, e.g. "nl-hxa b7a33 g293" = "NL-HXAB7A33G293")
 * is quarantined as a whole with DUPLICATE_IDENTIFIER naming the field and the first row. A row that is
 * quarantined for another reason claims nothing. The same identifier twice within one row is a
 * duplicate too (the row is quarantined).
 */
import type { Readable } from 'node:stream';
import { identifierKey } from '../identifiers';
import type { CanonicalRecord } from '../records/canonical';
import { findIllFormed } from '../http/well-formed';
import { recordProblems } from '../records/validate';
import { jsonPath } from './kit';
import { readRows, type SourceItem } from './readers';
import { createMemorySeenIdentifiers, type SeenIdentifiers } from './seen';
import { HASH_WORDS } from './seen-disk';
import type { Adapter, InputFormat, MapSummary, MappedRow, QuarantineEntry, RowOutcome } from './types';

export type MapEvent =
  | {
      kind: 'records';
      row: number;
      /** The row's line in the file, where the format has lines (CSV, NDJSON). */
      line?: number;
      records: CanonicalRecord[];
      warnings: QuarantineEntry[];
    }
  | {
      kind: 'quarantine';
      entries: QuarantineEntry[];
      /** Nothing after this row could be read. */ truncated?: boolean;
    };

/**
 * Mapped rows whose records are already JSON Lines (the parallel map of src/mapping/parallel.ts, for
 * `fsg map`): `rows` consecutive rows from `row` on, every one mapped; `jsonl` is exactly the UTF-8 of
 * writing `${JSON.stringify(record)}\n` for each of their records, in order.
 */
export interface LinesEvent {
  kind: 'lines';
  row: number;
  rows: number;
  /** Number of records. */
  count: number;
  jsonl: Uint8Array;
  /** The rows' warnings, in order. */
  warnings: QuarantineEntry[];
}

export interface MapOptions {
  /** Where identifiers already seen are kept (default: in memory). The caller closes what it passes. */
  seen?: SeenIdentifiers;
}

/** Quarantine codes the runtime itself produces (adapters and identifier checks add their own). */
export const RUNTIME_CODES = {
  ROW_MALFORMED: 'ROW_MALFORMED',
  RECORD_INVALID: 'RECORD_INVALID',
  DUPLICATE_IDENTIFIER: 'DUPLICATE_IDENTIFIER',
  ADAPTER_FAILED: 'ADAPTER_FAILED',
  TEXT_NOT_WELL_FORMED: 'TEXT_NOT_WELL_FORMED',
} as const;

export async function* mapStream(
  adapter: Adapter,
  input: Readable,
  format: InputFormat,
  options: MapOptions = {},
): AsyncGenerator<MapEvent> {
  if (!adapter.formats.includes(format)) {
    throw new Error(`adapter "${adapter.id}" reads ${adapter.formats.join(', ')}, not ${format}`);
  }
  const seen = options.seen ?? createMemorySeenIdentifiers();
  try {
    for await (const item of readRows(input, format)) {
      if ('malformed' in item) {
        yield quarantine(malformedEntry(item), item.fatal === true);
        continue;
      }
      yield mapRow(adapter, item.value, item.row, seen, item.line);
    }
  } finally {
    if (!options.seen) seen.close();
  }
}

/** The quarantine entry of a row the reader could not parse. */
export function malformedEntry(item: Extract<SourceItem, { malformed: string }>): QuarantineEntry {
  return withLine(
    { row: item.row, field: item.field ?? null, code: item.code ?? 'ROW_MALFORMED', message: item.malformed },
    item.line,
  );
}

/** The entry with the line of its row in the file (after `row`), when the format has lines. */
export function withLine(entry: QuarantineEntry, line: number | undefined): QuarantineEntry {
  if (line === undefined) return entry;
  const { row, ...rest } = entry;
  return { row, line, ...rest };
}

/** The row's event with its line in the file: on the event and on each of its entries. */
export function atLine(event: MapEvent, line: number | undefined): MapEvent {
  if (line === undefined) return event;
  if (event.kind === 'quarantine') return { ...event, entries: event.entries.map((e) => withLine(e, line)) };
  const { row, records, warnings } = event;
  return { kind: 'records', row, line, records, warnings: warnings.map((w) => withLine(w, line)) };
}

/**
 * Maps one parsed row: the adapter, then record validation, then the duplicate check. A row holding
 * text that is not well-formed (a JSON "\udfff" escape: a lone surrogate, which a store keeps as
 * something else) goes no further; CSV, decoded from UTF-8 bytes, never holds one.
 */
export function mapRow(
  adapter: Adapter,
  value: unknown,
  row: number,
  seen: SeenIdentifiers,
  line?: number,
): MapEvent {
  const illFormed = findIllFormed(value);
  if (illFormed) {
    const { pointer, detail } = illFormed;
    const entry = { row, field: jsonPath(pointer), code: 'TEXT_NOT_WELL_FORMED', message: detail };
    return atLine(quarantine(entry), line);
  }
  const adapted = adaptRow(adapter, value, row);
  return atLine('event' in adapted ? adapted.event : settleRow(adapted.outcome, row, seen, line), line);
}

/**
 * The adapter's part of a row, which depends on nothing but the row (so it may run in another thread):
 * the adapter's outcome, or the quarantine event that ends the row there.
 */
export function adaptRow(
  adapter: Adapter,
  value: unknown,
  row: number,
): { outcome: RowOutcome } | { event: MapEvent } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return {
      event: quarantine({
        row,
        field: null,
        code: 'ROW_MALFORMED',
        message: `a row must be an object, got ${what}`,
      }),
    };
  }
  try {
    return { outcome: adapter.map(value as Record<string, unknown>, row) };
  } catch (error) {
    // An adapter must not throw for bad data; if it does anyway the row is still accounted for.
    const message = error instanceof Error ? error.message : String(error);
    return {
      event: quarantine({
        row,
        field: null,
        code: 'ADAPTER_FAILED',
        message: `the adapter failed: ${message}`,
      }),
    };
  }
}

/** The rest of a row once the adapter has mapped it: record validation, then the duplicate check. */
export function settleRow(outcome: RowOutcome, row: number, seen: SeenIdentifiers, line?: number): MapEvent {
  const checked = checkOutcome(outcome, row);
  return 'event' in checked ? checked.event : claimRow(checked.mapped, checked.keys, row, seen, line);
}

/**
 * The part of settling a row that depends on nothing but the row (so it may run in another thread):
 * the row's quarantine event when the adapter quarantined it or a record is invalid, otherwise the
 * identifier key of each record.
 */
export function checkOutcome(
  outcome: RowOutcome,
  row: number,
): { event: MapEvent } | { mapped: MappedRow; keys: string[] } {
  if ('quarantine' in outcome) {
    const entries = outcome.quarantine.length
      ? outcome.quarantine.map((e) => ({ ...e, row }))
      : [
          {
            row,
            field: null,
            code: 'ADAPTER_FAILED',
            message: 'the adapter quarantined the row without a reason',
          },
        ];
    return { event: { kind: 'quarantine', entries } };
  }
  const { records } = outcome;
  const fields = (outcome as MappedRow).fields;

  const invalid: QuarantineEntry[] = [];
  records.forEach((record, i) => {
    for (const problem of recordProblems(record)) {
      invalid.push({
        row,
        field: problem.pointer,
        code: 'RECORD_INVALID',
        message: `${describe(record)}${fields?.[i] ? ` (from ${fields[i]})` : ''}: ${problem.pointer} ${problem.message}`,
      });
    }
  });
  if (invalid.length) return { event: { kind: 'quarantine', entries: invalid } };
  return {
    mapped: outcome as MappedRow,
    keys: records.map((r) => identifierKey(r.identifier.type, r.identifier.value)),
  };
}

/** The duplicate check of a row whose records are valid: first occurrence wins. */
export function claimRow(
  mapped: MappedRow,
  keys: string[],
  row: number,
  seen: SeenIdentifiers,
  line?: number,
): MapEvent {
  const { records } = mapped;
  const duplicates = claimKeys(
    records.map((r) => r.identifier.type),
    mapped.fields,
    keys,
    { row, line },
    seen,
  );
  if (duplicates) return { kind: 'quarantine', entries: duplicates };
  return {
    kind: 'records',
    row,
    records,
    warnings: (mapped.warnings ?? []).map((w) => ({ ...w, row })),
  };
}

/**
 * The duplicate check itself, from the records' identifier types, source fields and keys: the
 * DUPLICATE_IDENTIFIER entries of the row, or undefined when it claimed all of its keys. `hashes`,
 * when given, holds hashKeyInto's words for each key from `hashAt` on. Where the input has lines,
 * `seen` keeps each key's first line, and a duplicate names that line (else its row).
 */
export function claimKeys(
  types: string[],
  fields: string[] | undefined,
  keys: string[],
  { row, line }: { row: number; line?: number },
  seen: SeenIdentifiers,
  hashes?: Uint32Array,
  hashAt = 0,
): QuarantineEntry[] | undefined {
  let duplicates: QuarantineEntry[] | undefined;
  const hashed = hashes !== undefined && seen.firstRowHashed !== undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const first = hashed ? seen.firstRowHashed!(key, hashes, hashAt + HASH_WORDS * i) : seen.firstRow(key);
    // The earlier record of this row with the same key (the first one: it claimed the key).
    const earlierInRow = first === undefined ? keys.indexOf(key) : i;
    if (first === undefined && earlierInRow === i) continue;
    const field = fields?.[i] ?? `identifier ${types[i]!}`;
    (duplicates ??= []).push({
      row,
      field,
      code: 'DUPLICATE_IDENTIFIER',
      message:
        first !== undefined
          ? `${types[i]!} already seen at ${line === undefined ? 'row' : 'line'} ${first} (first occurrence wins)`
          : `${types[i]!} appears twice in this row (also ${fields?.[earlierInRow] ?? `record ${earlierInRow + 1}`})`,
    });
  }
  if (duplicates) return duplicates;
  for (const key of keys) seen.add(key, line ?? row);
  return undefined;
}

export function quarantine(entry: QuarantineEntry, truncated = false): MapEvent {
  return truncated
    ? { kind: 'quarantine', entries: [entry], truncated }
    : { kind: 'quarantine', entries: [entry] };
}

function describe(record: CanonicalRecord): string {
  const type = typeof record?.identifier?.type === 'string' ? record.identifier.type : 'identifier';
  return `${String(record?.objectType ?? 'record')} ${type} record`;
}

/** The running totals of a map: read = mapped + quarantined. */
export function createSummary(): MapSummary & { add(event: MapEvent | LinesEvent): void } {
  return {
    read: 0,
    mapped: 0,
    quarantined: 0,
    records: 0,
    add(event) {
      if (event.kind === 'lines') {
        this.read += event.rows;
        this.mapped += event.rows;
        this.records += event.count;
        return;
      }
      this.read++;
      if (event.kind === 'records') {
        this.mapped++;
        this.records += event.records.length;
      } else {
        this.quarantined++;
      }
    },
  };
}

export interface MapResult {
  records: CanonicalRecord[];
  /** Quarantine entries of quarantined rows followed by none: warnings are in `warnings`. */
  quarantine: QuarantineEntry[];
  warnings: QuarantineEntry[];
  summary: MapSummary;
}

/** Everything at once: for small inputs (tests, uploads of an answer). Large files use mapStream. */
export async function mapAll(
  adapter: Adapter,
  input: Readable,
  format: InputFormat,
  options: MapOptions = {},
): Promise<MapResult> {
  const records: CanonicalRecord[] = [];
  const quarantined: QuarantineEntry[] = [];
  const warnings: QuarantineEntry[] = [];
  const totals = createSummary();
  for await (const event of mapStream(adapter, input, format, options)) {
    totals.add(event);
    if (event.kind === 'records') {
      records.push(...event.records);
      warnings.push(...event.warnings);
    } else {
      quarantined.push(...event.entries);
    }
  }
  const { read, mapped, quarantined: q, records: n } = totals;
  return {
    records,
    quarantine: quarantined,
    warnings,
    summary: { read, mapped, quarantined: q, records: n },
  };
}
