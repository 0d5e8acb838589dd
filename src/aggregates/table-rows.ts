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

/** What a row is, in the CSV's last column: a label "(all)" alone cannot tell a total from a category. */
const ENTRY: Record<NonNullable<TableRow['margin']> | 'cell', string> = {
  cell: 'cell',
  row: 'row total',
  column: 'column total',
  total: 'total',
};

/**
 * The table as CSV (RFC 4180), for people with a spreadsheet: a UTF-8 byte-order mark (so accented
 * labels read right), a marking line first (`# TLP:…`, so the handling travels with the file; CSV
 * readers skip it as a comment), then a header of the dimensions, the measure, the status and the
 * entry, then one line per row. A suppressed value is empty. Labels and the marking come from partners'
 * data and responders' words: nothing in them may become a cell of its own or run as a formula.
 */
export function tableCsv(table: PublishedTable, marking: string): string {
  const lines = [
    // One cell whatever the reader's separator: no comma, semicolon, tab, quote or line break in it.
    `# ${marking.replace(/[,;\t"\r\n]+/g, ' ')}`,
    [...table.groupBy, measureLabel(table.measure), 'status', 'entry'].map(field).join(','),
    ...tableRows(table).map((r) =>
      [
        ...r.labels.map(field),
        r.value === null ? '' : String(r.value),
        r.status,
        ENTRY[r.margin ?? 'cell'],
      ].join(','),
    ),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/**
 * A text field: written as text when a spreadsheet would run it as a formula (a leading = + - @, tab
 * or carriage return), and quoted when it holds anything a reader might split on (a comma, or the
 * semicolon and tab other locales separate with), a quote, a line break, edge spaces or a leading #.
 */
function field(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",;\t\r\n]|^\s|\s$|^#/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
