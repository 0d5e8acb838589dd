import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import fc from 'fast-check';
import {
  CSV_OPTIONS,
  formatFromFileName,
  lines,
  readRows,
  type SourceItem,
} from '../../../src/mapping/readers';
import type { InputFormat } from '../../../src/mapping/types';
import { streamOf } from './arbitraries';

async function read(text: string, format: InputFormat, chunkSize = 5): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readRows(streamOf(text, chunkSize), format)) out.push(item);
  return out;
}

describe('csv reader', () => {
  it('reads a header row and string cells; the header is not a row; blank lines are skipped', async () => {
    const items = await read('\uFEFFa,b\n1,"x, ""y"""\r\n\n2,\n', 'csv');
    expect(items).toEqual([
      { row: 1, value: { a: '1', b: 'x, "y"' } },
      { row: 2, value: { a: '2', b: '' } },
    ]);
  });

  it('reports a record with the wrong number of fields as malformed and goes on, rows in order', async () => {
    const items = await read('a,b\n1,2\n3\n4,5,6\n7,8\n', 'csv', 3);
    expect(items.map((i) => ('malformed' in i ? ['malformed', i.row] : ['row', i.row, i.value]))).toEqual([
      ['row', 1, { a: '1', b: '2' }],
      ['malformed', 2],
      ['malformed', 3],
      ['row', 4, { a: '7', b: '8' }],
    ]);
    expect((items[1] as { malformed: string }).malformed).toMatch(/CSV_RECORD_INCONSISTENT_COLUMNS.*line 3/);
  });

  it('reports a bad closing quote as malformed (csv-parse then reads on inside the quote)', async () => {
    const items = await read('a,b\n0,1\n1,"x"y\n2,3\n', 'csv');
    expect(items[0]).toEqual({ row: 1, value: { a: '0', b: '1' } });
    expect(items[1]).toMatchObject({ row: 2, malformed: expect.stringMatching(/CSV_INVALID_CLOSING_QUOTE/) });
  });

  it('an unclosed quote swallows the rest: one malformed row', async () => {
    const items = await read('a,b\n1,2\n3,"open\n4,5\n', 'csv');
    expect(items).toHaveLength(2);
    expect(items[1]).toMatchObject({
      row: 2,
      fatal: true,
      malformed: expect.stringMatching(/CSV_QUOTE_NOT_CLOSED.*to the end/),
    });
  });

  it('an empty file has no rows', async () => {
    expect(await read('', 'csv')).toEqual([]);
    expect(await read('a,b\n', 'csv')).toEqual([]);
  });
});

/**
 * The CSV reader as it was: csv-parse with `columns: true`, rows as its objects. readCsv now reads
 * the cells as arrays and must give exactly this, messages included.
 */
async function readWithColumns(text: string, chunkSize: number): Promise<SourceItem[]> {
  class Skipped {
    constructor(readonly error: Error & { code?: string }) {}
  }
  const parser = parseCsv({
    ...CSV_OPTIONS,
    columns: true,
    on_skip: (error) => {
      parser.push(new Skipped(error as Error));
    },
  });
  streamOf(text, chunkSize).pipe(parser);
  const message = (e: Error & { code?: string }) => `CSV ${e.code ?? 'error'}: ${e.message}`;
  const out: SourceItem[] = [];
  let row = 0;
  try {
    for await (const item of parser as AsyncIterable<unknown>) {
      row++;
      if (!(item instanceof Skipped)) out.push({ row, value: item });
      else if (item.error.code === 'CSV_QUOTE_NOT_CLOSED')
        out.push({
          row,
          malformed: `${message(item.error)}: everything from this row to the end was inside the quote`,
          fatal: true,
        });
      else out.push({ row, malformed: message(item.error) });
    }
  } catch (error) {
    out.push({
      row: row + 1,
      malformed: `${message(error as Error)}; the rest of the input was not read`,
      fatal: true,
    });
  }
  return out;
}

/** Items with each row's own keys in order (toStrictEqual alone does not look at the order). */
const shown = (items: SourceItem[]) =>
  items.map((item) => ('value' in item ? { ...item, keys: Object.keys(item.value as object) } : item));

describe('csv reader: rows read as arrays, the same as csv-parse with columns: true', () => {
  const header = fc.constantFrom(
    'a,b,c',
    'a,b',
    'a,"b",c',
    'a,a,b',
    '__proto__,x',
    'a,b"c',
    '"a"x,b',
    '"a,b',
    '',
    ' ',
  );
  const cell = fc.constantFrom(
    '',
    'x',
    'yz',
    ' ',
    '"q"',
    '"a,b"',
    '"x""y"',
    '"bad"x',
    'b"c',
    '"',
    '"\n"',
    '\r',
    'é',
    '\uD800',
  );
  const line = fc.array(cell, { minLength: 0, maxLength: 4 }).map((cells) => cells.join(','));
  const text = fc
    .tuple(
      fc.boolean(),
      header,
      fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\n\n')), { maxLength: 8 }),
      fc.boolean(),
    )
    .map(
      ([bom, head, rows, eol]) =>
        `${bom ? '\uFEFF' : ''}${head}\n${rows.map(([l, end]) => l + end).join('')}${eol ? '' : 'x,y,z'}`,
    );

  it('gives the same rows and malformed entries, messages included, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.integer({ min: 1, max: 40 }), async (csv, chunkSize) => {
        const got = await read(csv, 'csv', chunkSize);
        const want = await readWithColumns(csv, chunkSize);
        expect(shown(got)).toStrictEqual(shown(want));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['a field count', 'a,b\n1,2\n1,2,3\n4\n'],
    ['an opening quote, named by its column', 'a,b\n1,x"y\nx"y,1\n1,2,x"y\n'],
    [
      'a bad quote in the header (the next record is dropped, as columns: true does)',
      'a,"b"x,c\n1,2,3\n4,5,6\n7,8\n',
    ],
    ['an opening quote in the header', 'a,b"c\n1,2\n3,4\n'],
    ['a repeated and a "__proto__" column', '__proto__,a,a\n1,2,3\n'],
  ])('%s', async (_what, csv) => {
    for (const chunkSize of [1, 3, 1000]) {
      expect(shown(await read(csv, 'csv', chunkSize))).toStrictEqual(
        shown(await readWithColumns(csv, chunkSize)),
      );
    }
    const items = await read(csv, 'csv', 1000);
    expect(items.length).toBeGreaterThan(0);
  });

  it('a header line longer than what is kept to read it again is still read the same', async () => {
    const csv = `${'h'.repeat(4 * 1024 * 1024 + 1000)},b\n1,2\n3\n`;
    expect(await read(csv, 'csv', 64 * 1024)).toStrictEqual(await readWithColumns(csv, 64 * 1024));
  });
});

describe('json reader', () => {
  it('streams the elements of a top-level array', async () => {
    const items = await read(' [ {"a": 1}, {"b": [1, 2]}, "x", null ] ', 'json', 2);
    expect(items).toEqual([
      { row: 1, value: { a: 1 } },
      { row: 2, value: { b: [1, 2] } },
      { row: 3, value: 'x' },
      { row: 4, value: null },
    ]);
  });

  it('a syntax error ends the read with one fatal malformed row after the good ones', async () => {
    const items = await read('[{"a":1},{"a":2},{"a":}, {"a":4}]', 'json');
    expect(items.slice(0, 2)).toEqual([
      { row: 1, value: { a: 1 } },
      { row: 2, value: { a: 2 } },
    ]);
    expect(items[2]).toMatchObject({
      row: 3,
      fatal: true,
      malformed: expect.stringMatching(/^JSON: .*not read$/),
    });
    expect(items).toHaveLength(3);
  });

  it('a top-level object is not an array of rows', async () => {
    const items = await read('{"a": 1}', 'json');
    expect(items).toEqual([{ row: 1, fatal: true, malformed: expect.stringMatching(/array/) }]);
  });

  it('an empty array has no rows; an input error is not swallowed', async () => {
    expect(await read('[]', 'json')).toEqual([]);
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(async () => {
      for await (const _ of readRows(failing, 'json')) void _;
    }).rejects.toThrow('disk on fire');
  });
});

describe('ndjson reader', () => {
  it('reads one value per line; a line that does not parse is malformed; blank lines are not rows', async () => {
    const items = await read('{"a":1}\r\n\n{"a":\n  \n[1]\n{"a":3}', 'ndjson', 4);
    expect(items).toEqual([
      { row: 1, value: { a: 1 } },
      { row: 2, malformed: expect.stringMatching(/^line 3: /) },
      { row: 3, value: [1] },
      { row: 4, value: { a: 3 } },
    ]);
  });

  it('splits lines across chunk boundaries, including multi-byte characters', async () => {
    const text = '"Bénéteau"\n"ÅÄÖ ✓"\n';
    const out: string[] = [];
    for await (const line of lines(streamOf(text, 1))) out.push(line);
    expect(out).toEqual(['"Bénéteau"', '"ÅÄÖ ✓"']);
  });
});

it('formatFromFileName', () => {
  expect(formatFromFileName('a.CSV')).toBe('csv');
  expect(formatFromFileName('a.json')).toBe('json');
  expect(formatFromFileName('a.ndjson')).toBe('ndjson');
  expect(formatFromFileName('a.jsonl')).toBe('ndjson');
  expect(formatFromFileName('a.txt')).toBeUndefined();
});
