/**
 * How a batch of CSV rows crosses to the mapping worker (parallel.ts → worker.ts) cheaply: when every
 * row of the batch is a row of cells under the same header (readCsvRows; a CSV file's rows, all but
 * the malformed ones), the batch is the column names once, all cells in one string and the end of each
 * cell in a transferred Uint32Array, instead of the JSON of the rows, which repeats every column name
 * in every row and makes both threads escape and parse every cell.
 *
 * Exact: decodeRows gives what JSON.parse(JSON.stringify(items)) gives for the items as readCsv makes
 * them (rows as objects keyed by the header): the same rows, keys in the same order, the same strings.
 * Any other batch (one with a malformed row or a row read as an object) goes as that JSON.
 */
import { csvObject, type CsvItem, type SourceItem } from './readers';

export type RowBatch =
  { json: string } | { firstRow: number; columns: string[]; cells: string; ends: Uint32Array };

export function encodeRows(items: CsvItem[]): RowBatch {
  const compact = encodeCompact(items);
  if (compact) return compact;
  const rows = items.map((item) =>
    'cells' in item ? { row: item.row, value: csvObject(item.columns, item.cells) } : item,
  );
  return { json: JSON.stringify(rows) };
}

/** The ArrayBuffers of a batch that postMessage can move instead of copy. */
export function transferablesOf(batch: RowBatch): ArrayBuffer[] {
  return 'ends' in batch ? [batch.ends.buffer as ArrayBuffer] : [];
}

export function decodeRows(batch: RowBatch): SourceItem[] {
  if ('json' in batch) return JSON.parse(batch.json) as SourceItem[];
  const { firstRow, columns, cells, ends } = batch;
  const width = columns.length;
  const items: SourceItem[] = [];
  // An assignment is what defineProperty does on a new object for any name but "__proto__".
  const assign = !columns.includes('__proto__');
  let start = 0;
  for (let c = 0, row = firstRow; c < ends.length; row++) {
    const value: Record<string, string> = {};
    for (let i = 0; i < width; i++, c++) {
      const end = ends[c]!;
      const cell = cells.slice(start, end);
      if (assign) value[columns[i]!] = cell;
      else
        Object.defineProperty(value, columns[i]!, {
          value: cell,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      start = end;
    }
    items.push({ row, value });
  }
  return items;
}

function encodeCompact(items: CsvItem[]): RowBatch | undefined {
  const first = items[0];
  if (first === undefined || !('cells' in first)) return undefined;
  const { columns } = first;
  const width = columns.length;
  const ends = new Uint32Array(items.length * width);
  let cells = '';
  let c = 0;
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    // Row numbers are consecutive in a batch (readCsvRows counts every item); the decode relies on it.
    if (!('cells' in item) || item.row !== first.row + r || item.columns !== columns) return undefined;
    // (csv-parse gives a row exactly as many cells as the header has names, or skips it.)
    if (item.cells.length !== width) return undefined;
    for (const cell of item.cells) {
      cells += cell;
      ends[c++] = cells.length;
    }
  }
  return { firstRow: first.row, columns, cells, ends };
}
