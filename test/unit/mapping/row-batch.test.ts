/** The compact row batches of the mapping worker give exactly what the JSON of the rows gives. */
import fc from 'fast-check';
import type { SourceItem } from '../../../src/mapping/readers';
import { decodeRows, encodeRows } from '../../../src/mapping/row-batch';

const roundTrip = (items: SourceItem[]) => decodeRows(encodeRows(items));
const viaJson = (items: SourceItem[]) => JSON.parse(JSON.stringify(items)) as SourceItem[];
/** The rows as JSON shows them: keys in order, values, own keys only. */
const same = (items: SourceItem[]) => {
  const decoded = roundTrip(items);
  expect(JSON.stringify(decoded)).toBe(JSON.stringify(items));
  const expected = viaJson(items);
  expect(decoded).toStrictEqual(expected);
  decoded.forEach((item, i) => {
    const want = expected[i]!;
    if ('value' in item && 'value' in want && item.value !== null && typeof item.value === 'object')
      expect(Object.keys(item.value)).toEqual(Object.keys(want.value as object));
  });
};

const columns = fc.uniqueArray(
  fc.oneof(fc.string(), fc.constantFrom('1', '02', 'engine1_make', '__proto__')),
  {
    minLength: 1,
    maxLength: 6,
  },
);

describe('row batches for the mapping worker', () => {
  it('CSV rows with the same columns: compact, and the same rows back', () => {
    fc.assert(
      fc.property(
        columns,
        fc.nat({ max: 1000 }),
        fc.array(fc.array(fc.string({ unit: 'binary' })), { minLength: 1, maxLength: 20 }),
        (cols, first, cells) => {
          const items: SourceItem[] = cells.map((row, r) => {
            const value: Record<string, string> = {};
            // As csv-parse builds its rows: own properties, even for "__proto__".
            cols.forEach((c, i) =>
              Object.defineProperty(value, c, {
                value: row[i] ?? '',
                enumerable: true,
                writable: true,
                configurable: true,
              }),
            );
            return { row: first + r, value };
          });
          same(items);
          if (!cols.includes('__proto__')) expect('ends' in encodeRows(items)).toBe(true);
        },
      ),
    );
  });

  it('anything else goes as JSON: malformed rows, other keys, gaps in row numbers, non-string cells', () => {
    const a = { row: 1, value: { x: 'a', y: 'b' } };
    const batches: SourceItem[][] = [
      [a, { row: 2, malformed: 'CSV bad', fatal: true }],
      [a, { row: 2, value: { y: 'b', x: 'a' } }],
      [a, { row: 2, value: { x: 'a' } }],
      [a, { row: 2, value: { x: 'a', y: 'b', z: 'c' } }],
      [a, { row: 3, value: { x: 'a', y: 'b' } }],
      [a, { row: 2, value: { x: 'a', y: 2 } }],
      [a, { row: 2, value: ['a', 'b'] }],
      [{ row: 1, value: null }],
    ];
    for (const items of batches) {
      expect('json' in encodeRows(items)).toBe(true);
      same(items);
    }
  });
});
