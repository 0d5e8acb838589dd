import { formatFromFileName, lines, readRows, type SourceItem } from '../../../src/mapping/readers';
import type { InputFormat } from '../../../src/mapping/types';
import { expectInputErrorThrown, streamOf } from './arbitraries';

async function read(text: string, format: InputFormat, chunkSize = 5): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readRows(streamOf(text, chunkSize), format)) out.push(item);
  return out;
}

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
    await expectInputErrorThrown('json');
  });
});

describe('ndjson reader', () => {
  it('reads one value per line, with its line; a line that does not parse is malformed; blank lines are not rows', async () => {
    const items = await read('{"a":1}\r\n\n{"a":\n  \n[1]\n{"a":3}', 'ndjson', 4);
    expect(items).toEqual([
      { row: 1, line: 1, value: { a: 1 } },
      { row: 2, line: 3, malformed: expect.stringMatching(/^line 3: /) },
      { row: 3, line: 5, value: [1] },
      { row: 4, line: 6, value: { a: 3 } },
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
