/** The compact row batches of the mapping worker give exactly what the JSON of the rows gives. */
import fc from 'fast-check';
import { csvObject, type CsvItem } from '../../../src/mapping/csv-reader';
import type { SourceItem } from '../../../src/mapping/readers';
import { decodeRows, encodeRows, sourceItems } from '../../../src/mapping/row-batch';

const roundTrip = (items: CsvItem[]) => decodeRows(encodeRows(items));
/** The items as readCsv gives them, less the rows' lines: rows as csv-parse's objects (`columns: true`). */
const asRead = (items: CsvItem[]): SourceItem[] =>
  items.map((item) =>
    'cells' in item ? { row: item.row, value: csvObject(item.columns, item.cells) } : item,
  );
const viaJson = (items: CsvItem[]) => JSON.parse(JSON.stringify(asRead(items))) as SourceItem[];
/** The rows as JSON shows them: keys in order, values, own keys only. */
const same = (items: CsvItem[]) => {
  const decoded = roundTrip(items);
  // A batch mapped in the thread that read it skips the round trip, to the same rows.
  const direct = sourceItems(items);
  expect(JSON.stringify(direct)).toBe(JSON.stringify(decoded));
  expect(direct).toStrictEqual(decoded);
  direct.forEach((item, i) => {
    const other = decoded[i]!;
    if ('value' in item && 'value' in other && item.value !== null && typeof item.value === 'object')
      expect(Object.keys(item.value)).toEqual(Object.keys(other.value as object));
  });
  expect(JSON.stringify(decoded)).toBe(JSON.stringify(asRead(items)));
  const expected = viaJson(items);
  expect(decoded).toStrictEqual(expected);
  decoded.forEach((item, i) => {
    const want = expected[i]!;
    if ('value' in item && 'value' in want && item.value !== null && typeof item.value === 'object')
      expect(Object.keys(item.value)).toEqual(Object.keys(want.value as object));
  });
};

// Header names as a CSV file may have them: repeated, numeric, empty, "__proto__".
const columns = fc.array(fc.oneof(fc.string(), fc.constantFrom('1', '02', '', 'engine1_make', '__proto__')), {
  minLength: 1,
  maxLength: 6,
});

describe('row batches for the mapping worker', () => {
  it('CSV rows under the same header: compact, and the same rows back', () => {
    fc.assert(
      fc.property(
        columns,
        fc.nat({ max: 1000 }),
        fc.array(fc.array(fc.string({ unit: 'binary' })), { minLength: 1, maxLength: 20 }),
        (cols, first, rows) => {
          const items: CsvItem[] = rows.map((row, r) => ({
            row: first + r,
            line: first + 2 * r + 1,
            cells: cols.map((_, i) => row[i] ?? ''),
            columns: cols,
          }));
          same(items);
          expect('ends' in encodeRows(items)).toBe(true);
        },
      ),
    );
  });

  it('anything else goes as JSON: malformed rows, rows as objects, another header, gaps in row numbers', () => {
    const columns = ['x', 'y'];
    const a = { row: 1, line: 2, cells: ['a', 'b'], columns };
    const batches: CsvItem[][] = [
      [a, { row: 2, line: 3, malformed: 'line 3: bad', code: 'CSV_MALFORMED_QUOTE', field: 'y' }],
      [
        { row: 1, malformed: 'CSV bad', fatal: true },
        { ...a, row: 2 },
      ],
      [a, { row: 2, value: { x: 'a', y: 'b' } }],
      [a, { row: 2, line: 3, cells: ['a', 'b'], columns: ['x', 'y'] }],
      [a, { row: 2, line: 3, cells: ['a'], columns }],
      [a, { row: 3, line: 4, cells: ['a', 'b'], columns }],
      [{ row: 1, value: { x: 'a', y: 2 } }],
      [{ row: 1, value: null }],
    ];
    for (const items of batches) {
      expect('json' in encodeRows(items)).toBe(true);
      same(items);
    }
  });
});
