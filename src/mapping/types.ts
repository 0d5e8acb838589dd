/**
 * The adapter contract: a partner format in, SIS-style single-identifier records out, and back.
 * Every input row ends as records or as quarantine entries, never neither.
 */
import type { CanonicalRecord } from '../records/canonical';

export type InputFormat = 'csv' | 'json' | 'ndjson';

/** Why a row (or one of its fields) was not mapped. */
export interface QuarantineEntry {
  /** 1-based over the rows read (a CSV header and blank lines are not rows). */
  row: number;
  /**
   * Where the input has lines (CSV, NDJSON): the row's line in the file as an editor numbers it, header
   * and blank lines counted (a CSV header on line 1 puts the first row on line 2); a row whose quoted
   * field holds line breaks is at its first line. Absent for a JSON array.
   */
  line?: number;
  /** The source field (CSV column or JSON path) at fault; null when the row as a whole is. */
  field: string | null;
  /**
   * Stable code, e.g. VIN_CHECK_DIGIT, FIELD_MISSING, FIELD_TYPE, DUPLICATE_IDENTIFIER, ROW_MALFORMED,
   * CSV_MALFORMED_QUOTE, CSV_INVALID_ENCODING, CSV_HEADER_MALFORMED.
   */
  code: string;
  message: string;
}

/** One source row mapped: all of its records, or why not (a row is never half-mapped). */
export type RowOutcome =
  { records: CanonicalRecord[]; warnings?: QuarantineEntry[] } | { quarantine: QuarantineEntry[] };

export interface Adapter<Source = Record<string, unknown>> {
  /** Folder name under adapters/, e.g. "boatreg-nl". */
  id: string;
  /** The partner whose format this is: only its responders may upload through it. */
  partnerId: string;
  description: string;
  formats: InputFormat[];
  objectTypes: string[];
  /** Maps one parsed source row; never throws for bad data (that is a quarantine entry). */
  map(row: Source, rowNumber: number): RowOutcome;
  /**
   * The reverse mapping (`fsg unmap`): regroups records by linkId into the partner's own shape, one
   * row per linkId. Absent when the partner format cannot be written back.
   */
  unmap?(records: CanonicalRecord[]): Source[];
  /**
   * For an adapter that reads CSV: unmapped rows as the partner's CSV (its header, every cell text,
   * '' when absent). Absent when the rows already are CSV-shaped (string values, one header).
   */
  toCsv?(rows: Source[]): CsvTable;
}

/** A CSV file as columns and rows of text, for the CSV writer. */
export interface CsvTable {
  columns: string[];
  rows: Record<string, string>[];
}

export interface MapSummary {
  read: number;
  mapped: number;
  quarantined: number;
  records: number;
}

/**
 * A mapped row as the adapters of this repository return it (assignable to RowOutcome): `fields[i]`
 * names the source field (CSV column or JSON path) that `records[i]`'s identifier came from, so that
 * the runtime can name it in a DUPLICATE_IDENTIFIER or RECORD_INVALID entry.
 */
export interface MappedRow {
  records: CanonicalRecord[];
  warnings?: QuarantineEntry[];
  fields?: string[];
}
