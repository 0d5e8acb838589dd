/**
 * `fsg map` of the built CLI: a CSV file mapped with the parser and adapter in a worker thread (the
 * default) gives byte for byte the records, quarantine entries and summary of the single-threaded
 * mapping, on clean and dirty files, malformed CSV records, CRLF line ends, a BOM and an unclosed quote.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateBoatreg } from '../../bench/generate-boatreg';
import { accordFile } from '../helpers/csv-files';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
let dir: string;

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-map-parallel-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function map(
  file: string,
  extra: string[],
  adapter = 'boatreg-nl',
): { out: string; quarantine: string; err: string } {
  const out = path.join(dir, `out-${extra.length}.jsonl`);
  const quarantine = path.join(dir, `q-${extra.length}.jsonl`);
  const res = spawnSync(
    process.execPath,
    [CLI, 'map', '--adapter', adapter, file, '--out', out, '--quarantine', quarantine, ...extra],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } },
  );
  expect(res.status).toBe(0);
  return {
    out: fs.readFileSync(out, 'utf8'),
    quarantine: fs.readFileSync(quarantine, 'utf8'),
    err: res.stderr,
  };
}

function expectSameBothWays(file: string, adapter?: string): { quarantine: string; err: string } {
  const parallel = map(file, [], adapter);
  const single = map(file, ['--single-thread'], adapter);
  expect(parallel.out).toBe(single.out);
  expect(parallel.quarantine).toBe(single.quarantine);
  expect(parallel.err).toBe(single.err);
  return parallel;
}

describe('fsg map in a worker thread', () => {
  it.each(['sample.csv', 'broken.csv'])('the fixture %s', (name) => {
    expectSameBothWays(path.join(ROOT, 'adapters', 'boatreg-nl', 'fixtures', name));
  });

  it('a dirty generated file with malformed records, CRLF, a BOM and an unclosed quote at the end', async () => {
    const generated = path.join(dir, 'dirty.csv');
    await generateBoatreg({ rows: 6000, out: generated, seed: 3, dirty: 0.05 });
    const lines = fs.readFileSync(generated, 'utf8').trimEnd().split('\n');
    const width = lines[0]!.split(',').length;
    for (let i = 500; i < lines.length; i += 700) {
      lines[i] = i % 1400 === 500 ? `${lines[i]},extra` : `"bad"quote${','.repeat(width - 1)}`;
    }
    const file = path.join(dir, 'messy.csv');
    fs.writeFileSync(file, `\ufeff${lines.join('\r\n')}\n\n"never closed,${','.repeat(width - 2)}\nx\n`);
    const { err } = expectSameBothWays(file);
    // Every data line is a row: the 6000 generated, the unclosed quote's and the line after it.
    expect(err).toMatch(/^read 6002, mapped \d+, quarantined [1-9]\d*, records/m);
  });

  it('broken quotes of every kind among rows with line breaks in quoted fields: every row, by its line', async () => {
    const generated = path.join(dir, 'quotes.csv');
    await generateBoatreg({ rows: 3000, out: generated, seed: 9 });
    const lines = fs.readFileSync(generated, 'utf8').trimEnd().split('\n');
    const named = (i: number, name: string) =>
      (lines[i] = lines[i]!.replace(/^([^,]*),[^,]*,/, `$1,${name},`));
    const broken: number[] = [];
    const notUtf8: number[] = [];
    for (let i = 1; i < lines.length; i++) {
      if (i % 89 === 0) named(i, '"Zeemeeuw"x');
      else if (i % 211 === 0) named(i, 'Zee"meeuw');
      else if (i % 307 === 0) named(i, '"Zeemeeuw');
      else if (i % 97 === 0) named(i, '"Zee\nmeeuw"');
      else if (i % 401 === 0) named(i, 'Zee\u0000meeuw');
      if (i % 89 === 0 || i % 211 === 0 || i % 307 === 0) broken.push(i);
      else if (i % 401 === 0 && i % 97 !== 0) notUtf8.push(i);
      if (i % 150 === 0) lines[i] = `\r\n${lines[i]!}`;
    }
    // The file's line of each row (a row with a line break or after a blank line moves the next ones).
    const lineOf: number[] = [];
    lines.reduce(
      (at, text, i) => ((lineOf[i] = at + (text.startsWith('\r\n') ? 1 : 0)), at + text.split('\n').length),
      1,
    );
    const text = Buffer.from(`${lines.join('\r\n')}\r\n`);
    // A byte that is not UTF-8 where the marker is.
    for (let at = text.indexOf(0); at !== -1; at = text.indexOf(0, at)) text[at] = 0xff;
    const file = path.join(dir, 'quotes-messy.csv');
    fs.writeFileSync(file, text);

    const { quarantine, err } = expectSameBothWays(file);
    expect(err).toMatch(/^read 3000, mapped \d+, quarantined [1-9]\d*, records/m);
    const entries = quarantine
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; code: string; message: string });
    // Each broken line is one entry at its line (an open quote that runs into a line that is not
    // UTF-8 is reported with that line's code); the rows with a line break in a quoted field map.
    const csv = entries.filter((e) => e.code.startsWith('CSV_'));
    expect(csv.map((e) => e.line)).toEqual(
      [...broken, ...notUtf8].sort((a, b) => a - b).map((i) => lineOf[i]),
    );
    expect(notUtf8.map((i) => csv.find((e) => e.line === lineOf[i])?.code)).toEqual(
      notUtf8.map(() => 'CSV_INVALID_ENCODING'),
    );
    for (const e of csv) expect(e.message.startsWith(`line ${e.line}: `)).toBe(true);
  });

  it('issue 16: a bad quote on line 2 quarantines that line only, the same both ways', () => {
    const file = path.join(dir, 'accord.csv');
    fs.writeFileSync(file, accordFile());
    const { quarantine, err } = expectSameBothWays(file, 'autodealers-nl');
    expect(err).toMatch(/^read 5, mapped 4, quarantined 1, records 11$/m);
    expect(quarantine).toMatch(
      /^\{"row":1,"line":2,"field":"model","code":"CSV_MALFORMED_QUOTE","message":"line 2: /,
    );
  });
});
