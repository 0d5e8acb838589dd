import { Readable } from 'node:stream';
import { formatFromFileName, lines, readRows, type SourceItem } from '../../../src/mapping/readers';
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
