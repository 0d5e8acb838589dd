/**
 * A released table as rows, one per published entry: the portal's view and the CSV download read the
 * same rows, so what a reader sees and what they save are the same table.
 */
import type { CellStatus, Measure, PublishedCell, PublishedTable } from '../sdc';

/** The label of a dimension a margin adds up over. */
export const ALL = '(all)';

export interface TableRow {
  /** One label per dimension; `ALL` where a margin adds that dimension up. */
  labels: string[];
  /** The published entry's own key (the cell's, or the margin's). */
  key: string[];
  margin?: 'row' | 'column' | 'total';
  value: number | null;
  status: CellStatus;
}

export function measureLabel(measure: Measure): string {
  return measure === 'count' ? 'count' : `sum of ${measure.sum}`;
}

/** The labels of an entry: its key, with `ALL` for each dimension a margin adds up. */
export function labelsOf(dimensions: number, key: string[], margin?: TableRow['margin']): string[] {
  const all = Array.from({ length: dimensions }, () => ALL);
  if (margin === 'total') return all;
  if (margin === 'row') return [key[0], ...all.slice(1)];
  if (margin === 'column') return [ALL, key[0], ...all.slice(2)];
  return [...key];
}

/** The cells in the table's order, then the rows' totals, the columns' totals and the grand total. */
export function tableRows(table: PublishedTable): TableRow[] {
  const row = (c: PublishedCell, margin?: TableRow['margin']): TableRow => ({
    labels: labelsOf(table.groupBy.length, c.key, margin),
    key: [...c.key],
    ...(margin ? { margin } : {}),
    value: c.value,
    status: c.status,
  });
  const { rows, columns, total } = table.margins;
  return [
    ...table.cells.map((c) => row(c)),
    ...(rows ?? []).map((c) => row(c, 'row')),
    ...(columns ?? []).map((c) => row(c, 'column')),
    ...(total ? [row(total, 'total')] : []),
  ];
}

/**
 * The table as CSV (RFC 4180): a marking line first (`# TLP:…`, so the handling travels with the file;
 * CSV readers skip it with a comment character of `#`), then a header of the dimensions, the measure and
 * the status, then one line per row. A suppressed value is empty. Labels come from partners' data: one
 * that a spreadsheet would run as a formula is written as text.
 */
export function tableCsv(table: PublishedTable, marking: string): string {
  const lines = [
    `# ${marking.replace(/[\r\n]+/g, ' ')}`,
    [...table.groupBy, measureLabel(table.measure), 'status'].map(field).join(','),
    ...tableRows(table).map((r) =>
      [...r.labels.map(field), r.value === null ? '' : String(r.value), r.status].join(','),
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

function field(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$|^#/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
