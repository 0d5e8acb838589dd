/**
 * The CSV reader (src/mapping/csv-reader.ts): csv-parse's rows on well-formed files, and on any file
 * every line after the header accounted for, by the line an editor shows (issue 16: a bad quote
 * swallowed the rows after it).
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import fc from 'fast-check';
import { boatregNl } from '../../../adapters/boatreg-nl/mapping';
import { CSV_OPTIONS, MAX_RUN_ON_CHARS, readCsvRows, type CsvItem } from '../../../src/mapping/csv-reader';
import { readRows, type SourceItem } from '../../../src/mapping/readers';
import { mapAll } from '../../../src/mapping/run';
import { expectInputErrorThrown, streamOf } from './arbitraries';

type Malformed = Extract<SourceItem, { malformed: string }>;

async function read(input: string | Buffer, chunkSize = 5): Promise<SourceItem[]> {
  const stream =
    typeof input === 'string'
      ? streamOf(input, chunkSize)
      : Readable.from(
          Array.from({ length: Math.ceil(input.length / chunkSize) }, (_, i) =>
            input.subarray(i * chunkSize, (i + 1) * chunkSize),
          ),
        );
  const out: SourceItem[] = [];
  for await (const item of readRows(stream, 'csv')) out.push(item);
  return out;
}

/** [line, value] of a row, [line, code, field] of a malformed one. */
const brief = (items: SourceItem[]) =>
  items.map((i) => ('malformed' in i ? [i.line, i.code, i.field] : [i.line, i.value]));

describe('csv reader', () => {
  it('reads a header and string cells; each row has its line; blank lines are no rows', async () => {
    const items = await read('\uFEFFa,b\n1,"x, ""y"""\r\n\n2,\n\r\n3,4');
    expect(items).toEqual([
      { row: 1, line: 2, value: { a: '1', b: 'x, "y"' } },
      { row: 2, line: 4, value: { a: '2', b: '' } },
      { row: 3, line: 6, value: { a: '3', b: '4' } },
    ]);
  });

  it('the issue: `"Accord"x` on line 2 is that line only; the rows after it are read', async () => {
    const items = await read('make,model,year\nHonda,"Accord"x,2003\nVW,Golf,1999\nBMW,"3,28i",2012\n', 3);
    expect(items).toEqual([
      {
        row: 1,
        line: 2,
        code: 'CSV_MALFORMED_QUOTE',
        field: 'model',
        malformed:
          'line 2: a closing quote in field "model" is followed by "x", not by a comma or the end of the line',
      },
      { row: 2, line: 3, value: { make: 'VW', model: 'Golf', year: '1999' } },
      { row: 3, line: 4, value: { make: 'BMW', model: '3,28i', year: '2012' } },
    ]);
  });

  it('a quote inside a field that does not start with one is a malformed quote', async () => {
    const items = await read('a,b\n1,x"y\n2,3\n');
    expect(brief(items)).toEqual([
      [2, 'CSV_MALFORMED_QUOTE', 'b'],
      [3, { a: '2', b: '3' }],
    ]);
    expect((items[0] as Malformed).malformed).toBe(
      'line 2: field "b" holds a quote but does not start with one',
    );
  });

  it('a wrong number of fields is ROW_MALFORMED, naming the line, and the read goes on', async () => {
    const items = await read('a,b\n1,2\n3\n4,5,6\n7,8\n', 3);
    expect(brief(items)).toEqual([
      [2, { a: '1', b: '2' }],
      [3, 'ROW_MALFORMED', null],
      [4, 'ROW_MALFORMED', null],
      [5, { a: '7', b: '8' }],
    ]);
    expect((items[2] as Malformed).malformed).toBe('line 4: the record has 3 fields, the header (line 1) 2');
  });

  it('a quoted field may hold line breaks (LF, CRLF, blank lines): one row, at its first line', async () => {
    const items = await read('a,b\n1,"two\nlines"\n2,"crlf\r\n\r\nand a blank"\r\n3,4\n', 4);
    expect(items).toEqual([
      { row: 1, line: 2, value: { a: '1', b: 'two\nlines' } },
      { row: 2, line: 4, value: { a: '2', b: 'crlf\r\n\r\nand a blank' } },
      { row: 3, line: 7, value: { a: '3', b: '4' } },
    ]);
  });

  it('a quote not closed by the end of the file: its line is quarantined and the lines after it are read', async () => {
    const items = await read('a,b\n1,2\n3,"open\n4,5\n\n6,7');
    expect(brief(items)).toEqual([
      [2, { a: '1', b: '2' }],
      [3, 'CSV_MALFORMED_QUOTE', 'b'],
      [4, { a: '4', b: '5' }],
      [6, { a: '6', b: '7' }],
    ]);
    expect((items[1] as Malformed).malformed).toBe(
      'line 3: the quote opened in field "b" is not closed by the end of the file',
    );
    expect(items.some((i) => 'fatal' in i)).toBe(false);
  });

  it('a quote that runs on and then breaks: its first line is quarantined, naming where it broke; the lines between are rows', async () => {
    const items = await read('a,b\n1,"open\n2,3\n4,"x"y\n5,6\n');
    expect(brief(items)).toEqual([
      [2, 'CSV_MALFORMED_QUOTE', 'b'],
      [3, { a: '2', b: '3' }],
      [4, 'CSV_MALFORMED_QUOTE', 'b'],
      [5, { a: '5', b: '6' }],
    ]);
    expect((items[0] as Malformed).malformed).toBe(
      'line 2: the quote opened in field "b" runs on to line 4, where a closing quote in field "b" is followed by "x", not by a comma or the end of the line; the lines after line 2 are read on their own',
    );
  });

  it('a record over several lines with the wrong number of fields: its first line, then the others on their own', async () => {
    const items = await read('a,b\n1,"x\ny",z\n2,3\n');
    expect(brief(items)).toEqual([
      [2, 'ROW_MALFORMED', 'b'],
      [3, 'CSV_MALFORMED_QUOTE', 'a'],
      [4, { a: '2', b: '3' }],
    ]);
    expect((items[0] as Malformed).malformed).toMatch(/runs on to line 3, where the record has 3 fields/);
  });

  it('a line that is not UTF-8 is quarantined (never read with replacement characters), alone or inside a quote', async () => {
    const bytes = Buffer.concat([
      Buffer.from('a,b\n1,2\n3,'),
      Buffer.from([0xff, 0x41]),
      Buffer.from('\n4,"quoted\n'),
      Buffer.from([0xc3]),
      Buffer.from('"\n5,é\n'),
    ]);
    for (const chunkSize of [1, 3, 1000]) {
      const items = await read(bytes, chunkSize);
      expect(brief(items)).toEqual([
        [2, { a: '1', b: '2' }],
        [3, 'CSV_INVALID_ENCODING', null],
        [4, 'CSV_INVALID_ENCODING', 'b'],
        [5, 'CSV_INVALID_ENCODING', null],
        [6, { a: '5', b: 'é' }],
      ]);
      expect((items[1] as Malformed).malformed).toBe('line 3: the line is not valid UTF-8');
    }
  });

  it('a header that cannot be read: every row is quarantined, by its line, with the header’s reason', async () => {
    const items = await read('a,"b"x\n1,2\n\n3,"4\n5"\n6,"x\n');
    expect(brief(items)).toEqual([
      [2, 'CSV_HEADER_MALFORMED', null],
      [4, 'CSV_HEADER_MALFORMED', null],
      [6, 'CSV_MALFORMED_QUOTE', null],
    ]);
    expect((items[0] as Malformed).malformed).toBe(
      'line 2: not read: the header (line 1) could not be read: a closing quote in field 2 is followed by "x", not by a comma or the end of the line',
    );
  });

  it('a quote that stays open past MAX_RUN_ON_CHARS is taken as broken there; the lines after it are read', async () => {
    const line = `x,${'y'.repeat(999)}`;
    const lines = Math.ceil(MAX_RUN_ON_CHARS / line.length) + 5;
    const text = `a,b\n1,"open\n${`${line}\n`.repeat(lines)}"closed",2\n`;
    const items = await read(text, 64 * 1024);
    expect(items).toHaveLength(lines + 2);
    expect(items[0]).toMatchObject({ line: 2, code: 'CSV_MALFORMED_QUOTE', field: 'b' });
    expect((items[0] as Malformed).malformed).toMatch(`not closed within ${MAX_RUN_ON_CHARS} characters`);
    expect(items.slice(1, -1).every((i) => 'value' in i)).toBe(true);
    expect(items.at(-1)).toMatchObject({ line: lines + 3, value: { a: 'closed', b: '2' } });
  });

  it('an empty file, or a header alone, has no rows; an input error is not swallowed', async () => {
    expect(await read('')).toEqual([]);
    expect(await read('a,b\n')).toEqual([]);
    expect(await read('\n\na,b\r\n\r\n')).toEqual([]);
    await expectInputErrorThrown('csv');
  });
});

/** csv-parse, strict (the reader's options, `columns: true`); undefined when it skipped a record. */
async function csvParse(text: string, chunkSize: number): Promise<unknown[] | undefined> {
  let skipped = false;
  const parser = parseCsv({
    ...CSV_OPTIONS,
    columns: true,
    on_skip: () => {
      skipped = true;
    },
  });
  streamOf(text, chunkSize).pipe(parser);
  const rows: unknown[] = [];
  try {
    for await (const row of parser as AsyncIterable<unknown>) rows.push(row);
  } catch {
    return undefined;
  }
  return skipped ? undefined : rows;
}

/** The values with their own keys in order (toStrictEqual alone does not look at the order). */
const shown = (values: unknown[]) => values.map((v) => ({ v, keys: Object.keys(v as object) }));

/**
 * Every line after the header is covered exactly once: a malformed row covers its line, a row its line
 * and one more per line break in its cells; a blank line is covered at most once (inside a quoted field).
 * (The header here is one good line, the first: after a header that
 * cannot be read, a record's rows are quarantined whole, as the test of that case shows.)
 */
async function expectEveryLineAccounted(text: string, chunkSize: number): Promise<void> {
  const items: CsvItem[] = [];
  for await (const item of readCsvRows(streamOf(text, chunkSize))) items.push(item);
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const blank = (i: number) => lines[i] === '' || (i < lines.length - 1 && lines[i] === '\r');
  const header = lines.findIndex((_, i) => !blank(i));
  const covered = new Array<number>(lines.length).fill(0);
  items.forEach((item, i) => {
    expect(item.row).toBe(i + 1);
    const span = 'cells' in item ? item.cells.join('').split('\n').length : 1;
    for (let l = item.line! - 1; l < item.line! - 1 + span; l++) covered[l]!++;
  });
  const want = lines.map((_, i) =>
    header === -1 || i <= header ? 0 : blank(i) ? Math.min(covered[i]!, 1) : 1,
  );
  expect(covered).toEqual(want);
}

describe('csv reader: csv-parse’s rows on a well-formed file, every line accounted for on any file', () => {
  const header = fc.constantFrom(
    'a,b,c',
    'a,b',
    'a,"b",c',
    'a,a,b',
    '__proto__,x',
    '',
    ' ',
    '"a"x,b',
    'a,b"c',
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
    '"two\r\nlines"',
    '\r',
    'é',
    '\uD800',
  );
  const line = fc.array(cell, { minLength: 0, maxLength: 4 }).map((cells) => cells.join(','));
  const fileOf = (headers: fc.Arbitrary<string>) =>
    fc
      .tuple(
        fc.boolean(),
        headers,
        fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\n\n')), { maxLength: 8 }),
        fc.boolean(),
      )
      .map(
        ([bom, head, rows, eol]) =>
          `${bom ? '\uFEFF' : ''}${head}\n${rows.map(([l, end]) => l + end).join('')}${eol ? '' : 'x,y,z'}`,
      );
  const text = fileOf(header);
  const goodHeaderText = fileOf(header.filter((h) => !['"a"x,b', 'a,b"c', ''].includes(h)));

  it('gives csv-parse’s rows whenever csv-parse reads the file without an error, for any chunking', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(text, fc.integer({ min: 1, max: 40 }), async (csv, chunkSize) => {
        const want = await csvParse(csv, chunkSize);
        if (want === undefined) return;
        compared++;
        const got = await read(csv, chunkSize);
        expect(got.every((i) => 'value' in i)).toBe(true);
        expect(shown(got.map((i) => (i as { value: unknown }).value))).toStrictEqual(shown(want));
      }),
      { numRuns: 400 },
    );
    expect(compared).toBeGreaterThan(30);
  });

  it('accounts for every line after the header exactly once, for any file and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(goodHeaderText, fc.integer({ min: 1, max: 40 }), async (csv, chunkSize) => {
        await expectEveryLineAccounted(csv, chunkSize);
      }),
      { numRuns: 400 },
    );
  });
});

describe('broken quotes among good rows', () => {
  // Cells whose quotes can only break a stray open quote that reaches them, never close it: so the
  // good rows stay exactly the rows of the file without the broken lines.
  const goodCell = fc.constantFrom('', 'x', 'yz', ' ', '"q"', '"a,b"', '"x""y"', 'é', '""', '"multi\nline"');
  const brokenCell = fc.constantFrom('"bad"x', 'b"c', '"open', '"Accord"x');
  const good = fc.array(goodCell, { minLength: 3, maxLength: 3 }).map((c) => c.join(','));
  const plain = fc.array(
    goodCell.filter((c) => !c.includes('\n')),
    { minLength: 3, maxLength: 3 },
  );
  const broken = fc
    .tuple(plain, brokenCell, fc.nat({ max: 2 }))
    .map(([cells, bad, at]) => cells.map((c, i) => (i === at ? bad : c)).join(','));
  const file = fc.array(
    fc.oneof(
      { weight: 3, arbitrary: good.map((l) => ({ l, ok: true })) },
      { weight: 1, arbitrary: broken.map((l) => ({ l, ok: false })) },
      { weight: 1, arbitrary: fc.constant({ l: '', ok: true }) },
    ),
    { maxLength: 12 },
  );

  /** The text of the lines (header first), and the line number of each broken one. */
  function assemble(parts: { l: string; ok: boolean }[], eol: string) {
    const brokenLines: number[] = [];
    let at = 2;
    for (const p of parts) {
      if (!p.ok) brokenLines.push(at);
      at += p.l.split('\n').length;
    }
    return { text: ['a,b,c', ...parts.map((p) => p.l)].join(eol) + eol, brokenLines };
  }

  it('each broken line is one malformed row at its line; the good rows are those of the file without them', async () => {
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 40 }),
        async (parts, eol, chunkSize) => {
          const { text, brokenLines } = assemble(parts, eol);
          const clean = assemble(
            parts.filter((p) => p.ok),
            eol,
          ).text;
          await expectEveryLineAccounted(text, chunkSize);
          const items = await read(text, chunkSize);
          const bad = items.filter((i): i is Malformed => 'malformed' in i);
          expect(bad.map((i) => [i.line, i.code])).toEqual(
            brokenLines.map((l) => [l, 'CSV_MALFORMED_QUOTE']),
          );
          for (const i of bad) expect(i.malformed).toMatch(new RegExp(`^line ${i.line}: `));
          const values = (list: SourceItem[]) => list.flatMap((i) => ('value' in i ? [i.value] : []));
          expect(values(items)).toStrictEqual(values(await read(clean, chunkSize)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('through an adapter: the same records and the same quarantine for the good rows, by their lines', async () => {
    const sample = [
      'NL-8841-AB,Zeemeeuw,NL-HXAB7A33G293;US-BMA45678H485,Bayliner,VR5,white,2019,Geregistreerd,Jan Pietersen,1011 AB,2020-05-14,Mercury,2B123456,150,,,',
      'NL-1200-ZX,Waterhoen,NLBEN12345C818,Bénéteau,Flyer 7,blue,2018,gestolen,Marieke de Vries,3011 CD,2018-06-01,Yamaha,6CE-1004567,110,Yamaha,6CE-1004568,110',
      ',Zonder Nummer,DE-SEA00042F212,Sea Ray,SPX 190,red,2012,registered,Karel Smit,9711 EF,2015-03-03,,,,,,',
      'NL-3003-CD,Snelle Jelle,FR-BEN00123K919,Beneteau,Antares 8,grey,20x9,vermist,Piet Bakker,2511 GH,2021-07-15,Suzuki,DF150-445566,110,,,',
    ];
    const head =
      'registration_no,vessel_name,hull_numbers,make,model,colour,build_year,status,owner_name,owner_postcode,owner_since,engine1_make,engine1_serial,engine1_power_kw,engine2_make,engine2_serial,engine2_power_kw';
    // The vessel's name (field 2) as it is, quoted with a comma or a line break, or broken.
    const named = (row: string, name: string) => row.replace(/^([^,]*),[^,]*,/, `$1,${name},`);
    const goodRow = fc
      .tuple(fc.nat({ max: 3 }), fc.constantFrom('Zeemeeuw', '"Zee, meeuw"', '"Zee\nmeeuw"'))
      .map(([i, name]) => ({ l: named(sample[i]!, name), ok: true }));
    const brokenRow = fc
      .tuple(fc.nat({ max: 3 }), fc.constantFrom('"Zeemeeuw"x', 'Zee"meeuw', '"Zeemeeuw'))
      .map(([i, name]) => ({ l: named(sample[i]!, name), ok: false }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 3, arbitrary: goodRow }, { weight: 1, arbitrary: brokenRow }), {
          maxLength: 10,
        }),
        async (parts) => {
          const lineOf = (list: typeof parts) => {
            const at: number[] = [];
            let n = 2;
            for (const p of list) {
              at.push(n);
              n += p.l.split('\n').length;
            }
            return at;
          };
          const text = [head, ...parts.map((p) => p.l)].join('\n') + '\n';
          const goodParts = parts.filter((p) => p.ok);
          const clean = [head, ...goodParts.map((p) => p.l)].join('\n') + '\n';
          // A good row's line in the clean file → its line in the file with the broken ones.
          const cleanLines = lineOf(goodParts);
          const fileLines = lineOf(parts).filter((_, i) => parts[i]!.ok);
          const moved = (line: number) => fileLines[cleanLines.indexOf(line)];

          const dirty = await mapAll(boatregNl, streamOf(text, 11), 'csv');
          const want = await mapAll(boatregNl, streamOf(clean, 11), 'csv');
          expect(dirty.records).toStrictEqual(want.records);
          const csv = dirty.quarantine.filter((q) => q.code === 'CSV_MALFORMED_QUOTE');
          expect(csv.map((q) => q.line)).toEqual(lineOf(parts).filter((_, i) => !parts[i]!.ok));
          const brief = (q: (typeof want.quarantine)[number], line: number | undefined) => [
            line,
            q.field,
            q.code,
          ];
          expect(
            dirty.quarantine.filter((q) => q.code !== 'CSV_MALFORMED_QUOTE').map((q) => brief(q, q.line)),
          ).toEqual(want.quarantine.map((q) => brief(q, moved(q.line!))));
          expect(dirty.summary.read).toBe(want.summary.read + csv.length);
          expect(dirty.summary.mapped + dirty.summary.quarantined).toBe(dirty.summary.read);
        },
      ),
      { numRuns: 60 },
    );
  });
});
