/** A released table as rows and as CSV: margins labelled, labels from data written as text. */
import { parse } from 'csv-parse/sync';
import { ALL, tableCsv, tableRows } from '../../src/aggregates/table-rows';
import type { PublishedTable } from '../../src/sdc';

const cell = (key: string[], value: number | null, status: 'ok' | 'rounded' | 'suppressed' = 'ok') => ({
  key,
  value,
  status,
});

/** A 2-D table whose labels are what a partner's free text could hold. */
const table: PublishedTable = {
  groupBy: ['theft.place', 'make'],
  measure: { sum: 'insuredValue' },
  dimensions: [
    ['=HYPERLINK("http://x")', '#Utrecht'],
    ['Bayliner', 'A, "quoted"\nline'],
  ],
  withheld: false,
  cells: [
    cell(['=HYPERLINK("http://x")', 'Bayliner'], 400_000),
    cell(['=HYPERLINK("http://x")', 'A, "quoted"\nline'], null, 'suppressed'),
    cell(['#Utrecht', 'Bayliner'], 300_000, 'rounded'),
    cell(['#Utrecht', 'A, "quoted"\nline'], -5),
  ],
  margins: {
    rows: [cell(['=HYPERLINK("http://x")'], 900_000), cell(['#Utrecht'], 700_000)],
    columns: [cell(['Bayliner'], 700_000)],
    total: cell([], 1_600_000, 'rounded'),
  },
};

describe('tableRows', () => {
  it('lists the cells, then rows’, columns’ and the grand total, margins labelled (all)', () => {
    const rows = tableRows(table);
    expect(rows.map((r) => [r.margin ?? 'cell', ...r.labels])).toEqual([
      ['cell', '=HYPERLINK("http://x")', 'Bayliner'],
      ['cell', '=HYPERLINK("http://x")', 'A, "quoted"\nline'],
      ['cell', '#Utrecht', 'Bayliner'],
      ['cell', '#Utrecht', 'A, "quoted"\nline'],
      ['row', '=HYPERLINK("http://x")', ALL],
      ['row', '#Utrecht', ALL],
      ['column', ALL, 'Bayliner'],
      ['total', ALL, ALL],
    ]);
    expect(rows.at(-1)).toMatchObject({ key: [], value: 1_600_000, status: 'rounded' });
  });

  it('a table without totals has no margin rows', () => {
    const rows = tableRows({ ...table, margins: { total: null } });
    expect(rows.every((r) => r.margin === undefined)).toBe(true);
    expect(rows).toHaveLength(4);
  });
});

describe('tableCsv', () => {
  const csv = tableCsv(table, 'TLP:AMBER — Limited disclosure.\nNo onward disclosure.');
  const parsed: string[][] = parse(csv, { comment: '#' });

  it('starts with the handling on one comment line, then the header', () => {
    expect(csv.split('\r\n')[0]).toBe('# TLP:AMBER — Limited disclosure. No onward disclosure.');
    expect(parsed[0]).toEqual(['theft.place', 'make', 'sum of insuredValue', 'status']);
  });

  it('reads back as the rows, a label a spreadsheet would run as a formula written as text', () => {
    expect(parsed.slice(1)).toEqual(
      tableRows(table).map((r) => [
        ...r.labels.map((l) => (l.startsWith('=') ? `'${l}` : l)),
        r.value === null ? '' : String(r.value),
        r.status,
      ]),
    );
    // A negative value is a number, not a formula: left as it is.
    expect(parsed[4][2]).toBe('-5');
    expect(csv).not.toMatch(/^=|,=/m);
  });
});
