/**
 * How a batch of CSV rows crosses to the mapping worker (parallel.ts → worker.ts) cheaply: when every
 * row of the batch is a row of cells under the same header (readCsvRows; a CSV file's rows, all but
 * the malformed ones), the batch is the column names once, all cells in one string and the end of each
 * cell in a transferred Uint32Array, instead of the JSON of the rows, which repeats every column name
 * in every row and makes both threads escape and parse every cell.
 *
 * Exact: decodeRows gives what JSON.parse(JSON.stringify(items)) gives for the items as readCsv makes
 * them (rows as objects keyed by the header), less the rows' lines (the reading thread keeps those):
 * the same rows, keys in the same order, the same strings. Any other batch (one with a malformed row
 * or a row read as an object) goes as that JSON.
 */
import { csvObject, type CsvItem, type CsvRow } from './csv-reader';
import type { SourceItem } from './readers';

export type RowBatch =
  { json: string } | { firstRow: number; columns: string[]; cells: string; ends: Uint32Array };

export function encodeRows(items: CsvItem[]): RowBatch {
  return encodable(items) ? encodeCompact(items) : encodeJson(items);
}

/** The ArrayBuffers of a batch that postMessage can move instead of copy. */
export function transferablesOf(batch: RowBatch): ArrayBuffer[] {
  return 'ends' in batch ? [batch.ends.buffer as ArrayBuffer] : [];
}

/** What decodeRows(encodeRows(items)) gives, without the round trip (for a batch mapped where it was read). */
export function sourceItems(items: CsvItem[]): SourceItem[] {
  if (!encodable(items)) return JSON.parse(encodeJson(items).json) as SourceItem[];
  const { columns } = items[0];
  const assign = !columns.includes('__proto__');
  return items.map(({ row, cells }) => ({ row, value: rowObject(columns, cells, assign) }));
}

export function decodeRows(batch: RowBatch): SourceItem[] {
  if ('json' in batch) return JSON.parse(batch.json) as SourceItem[];
  const { firstRow, columns, cells, ends } = batch;
  const width = columns.length;
  const items: SourceItem[] = [];
  const assign = !columns.includes('__proto__');
  const row: string[] = new Array<string>(width);
  let start = 0;
  for (let c = 0, n = firstRow; c < ends.length; n++) {
    for (let i = 0; i < width; i++, c++) {
      const end = ends[c]!;
      row[i] = cells.slice(start, end);
      start = end;
    }
    items.push({ row: n, value: rowObject(columns, row, assign) });
  }
  return items;
}

/** csvObject's row (own properties, in header order); `assign` when no column is "__proto__". */
function rowObject(columns: string[], cells: string[], assign: boolean): Record<string, string> {
  if (!assign) return csvObject(columns, cells);
  // A copy of the header's template has its keys already (in V8's fast mode: a row of more than
  // ~16 columns assigned one by one to {} becomes a slow dictionary); assigning an existing key does
  // what defineProperty does on a new object for any name but "__proto__".
  const value = { ...templateOf(columns) };
  for (let i = 0; i < columns.length; i++) value[columns[i]!] = cells[i]!;
  return value;
}

let lastColumns: string[] | undefined;
let lastTemplate: Record<string, string> = {};

/** An object with the header's keys in csvObject's order (JSON.parse makes it in fast mode). */
function templateOf(columns: string[]): Record<string, string> {
  if (columns !== lastColumns) {
    const keys = columns.map((c) => `${JSON.stringify(c)}:""`).join(',');
    lastTemplate = JSON.parse(`{${keys}}`) as Record<string, string>;
    lastColumns = columns;
  }
  return lastTemplate;
}

/**
 * True when the items are rows of cells under one header (the same array), with consecutive row
 * numbers (readCsvRows counts every item; the decode relies on it) and a cell per column (readCsvRows
 * gives a row exactly as many cells as the header has names, or reports it malformed).
 */
function encodable(items: CsvItem[]): items is CsvRow[] {
  const first = items[0];
  if (first === undefined || !('cells' in first)) return false;
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    if (!('cells' in item) || item.row !== first.row + r || item.columns !== first.columns) return false;
    if (item.cells.length !== first.columns.length) return false;
  }
  return true;
}

function encodeCompact(items: CsvRow[]): RowBatch {
  const { columns } = items[0]!;
  const ends = new Uint32Array(items.length * columns.length);
  let cells = '';
  let c = 0;
  for (const item of items) {
    for (const cell of item.cells) {
      cells += cell;
      ends[c++] = cells.length;
    }
  }
  return { firstRow: items[0]!.row, columns, cells, ends };
}

/** The JSON of the items as readCsv gives them (rows as csv-parse's objects). */
function encodeJson(items: CsvItem[]): { json: string } {
  const rows = items.map((item) =>
    'cells' in item ? { row: item.row, value: csvObject(item.columns, item.cells) } : item,
  );
  return { json: JSON.stringify(rows) };
}
