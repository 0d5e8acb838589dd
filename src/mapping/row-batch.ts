/**
 * How a batch of CSV rows crosses to the mapping worker (parallel.ts → worker.ts) cheaply: when every
 * row of the batch is a plain row with the same columns and string cells (a CSV file's rows, all but
 * the malformed ones), the batch is the column names once, all cells in one string and the end of each
 * cell in a transferred Uint32Array, instead of the JSON of the rows, which repeats every column name
 * in every row and makes both threads escape and parse every cell.
 *
 * Exact: decodeRows gives what JSON.parse(JSON.stringify(items)) gives: the same rows, keys in the
 * same order, the same strings. Any batch that does not fit (a malformed row, other keys, a cell
 * that is not a string, a column named __proto__) goes as JSON.
 */
import type { SourceItem } from './readers';

export type RowBatch =
  { json: string } | { firstRow: number; columns: string[]; cells: string; ends: Uint32Array };

export function encodeRows(items: SourceItem[]): RowBatch {
  const compact = encodeCompact(items);
  return compact ?? { json: JSON.stringify(items) };
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
  let start = 0;
  for (let c = 0, row = firstRow; c < ends.length; row++) {
    const value: Record<string, string> = {};
    for (let i = 0; i < width; i++, c++) {
      const end = ends[c]!;
      value[columns[i]!] = cells.slice(start, end);
      start = end;
    }
    items.push({ row, value });
  }
  return items;
}

function encodeCompact(items: SourceItem[]): RowBatch | undefined {
  const first = items[0];
  if (first === undefined || !('value' in first) || !isPlainObject(first.value)) return undefined;
  const columns = Object.keys(first.value);
  if (columns.includes('__proto__')) return undefined;
  const width = columns.length;
  const ends = new Uint32Array(items.length * width);
  let cells = '';
  let c = 0;
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    // Row numbers are consecutive in a batch (readCsv counts every item); the decode relies on it.
    if (!('value' in item) || item.row !== first.row + r || !isPlainObject(item.value)) return undefined;
    const value = item.value as Record<string, unknown>;
    let i = 0;
    // for...in gives the enumerable string keys in the order JSON.stringify writes them.
    for (const key in value) {
      const cell = value[key];
      if (i >= width || key !== columns[i] || typeof cell !== 'string') return undefined;
      cells += cell;
      ends[c++] = cells.length;
      i++;
    }
    if (i !== width) return undefined;
  }
  return { firstRow: first.row, columns, cells, ends };
}

/** An object whose only enumerable keys are its own (what JSON.stringify and for...in agree on). */
function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
