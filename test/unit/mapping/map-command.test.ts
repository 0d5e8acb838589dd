/** `fsg map` end to end, in process: the registered commander action on temporary files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { registerMapCommand, type MapCommandIo } from '../../../src/mapping/map-command';
import { accordFile } from '../../helpers/csv-files';

const ADAPTERS_DIR = path.resolve(__dirname, '../../../adapters');
const fixture = (id: string, file: string) => path.join(ADAPTERS_DIR, id, 'fixtures', file);
let dir: string;

/** A sink that keeps what is written; `slow` makes every write wait, so backpressure is exercised. */
function sink(options: { slow?: boolean; tty?: boolean } = {}) {
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      if (options.slow) setImmediate(done);
      else done();
    },
  }) as Writable & { isTTY?: boolean };
  if (options.tty) stream.isTTY = true;
  return { stream, text: () => chunks.join('') };
}

async function fsgMap(args: string[], io: Partial<MapCommandIo> = {}) {
  const out = sink();
  const err = sink();
  const program = new Command('fsg').exitOverride();
  registerMapCommand(program, {
    stdout: io.stdout ?? out.stream,
    stderr: io.stderr ?? err.stream,
    now: io.now,
  });
  const before = process.exitCode;
  try {
    await program.parseAsync(['map', ...args], { from: 'user' });
    return { code: process.exitCode ?? 0, out: out.text(), err: err.text() };
  } finally {
    process.exitCode = before;
  }
}

const jsonLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-map-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fsg map', () => {
  it('writes records and quarantine entries as JSON Lines and a summary on stderr; exit 0 with quarantined rows', async () => {
    const out = path.join(dir, 'records.jsonl');
    const q = path.join(dir, 'q.jsonl');
    const res = await fsgMap([
      '--adapter',
      'boatreg-nl',
      fixture('boatreg-nl', 'broken.csv'),
      '--out',
      out,
      '--quarantine',
      q,
    ]);
    expect(res.code).toBe(0);
    expect(res.out).toBe('');
    expect(res.err).toBe('read 9, mapped 2, quarantined 7, records 6\n');
    expect(jsonLines(out)).toHaveLength(6);
    expect(jsonLines(q).map((e) => [e.row, e.field, e.code])).toEqual([
      [2, 'hull_numbers', 'HIN_MONTH'],
      [3, 'status', 'FIELD_MISSING'],
      [4, 'build_year', 'FIELD_TYPE'],
      [5, 'hull_numbers', 'DUPLICATE_IDENTIFIER'],
      [7, null, 'ROW_MALFORMED'],
      [8, 'owner_since', 'FIELD_FORMAT'],
      [8, 'status', 'FIELD_VALUE'],
      [9, 'engine1_serial', 'FIELD_MISSING'],
    ]);
  });

  it('records go to stdout by default; the format comes from the extension; warnings are flagged', async () => {
    const q = path.join(dir, 'q.jsonl');
    const res = await fsgMap([
      '--adapter',
      'autodealers-nl',
      fixture('autodealers-nl', 'sample.csv'),
      '--quarantine',
      q,
    ]);
    expect(res.code).toBe(0);
    const lines = res.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { linkId: string });
    expect(lines).toHaveLength(11);
    expect(lines[0]!.linkId).toBe('autodealers-nl:1HGCM82633A004352');
    expect(res.err).toContain('read 4, mapped 4, quarantined 0, records 11\n');
    expect(res.err).toContain('warnings 1');
    expect(jsonLines(q)).toEqual([
      expect.objectContaining({ row: 2, code: 'VIN_CHECK_DIGIT', warning: true }),
    ]);
  });

  it('says so when quarantined entries are not kept', async () => {
    const res = await fsgMap(['--adapter', 'insureco', fixture('insureco', 'broken.json')]);
    expect(res.code).toBe(0);
    expect(res.err).toContain('read 8, mapped 2, quarantined 6, records 3\n');
    expect(res.err).toContain('add --quarantine');
  });

  it('issue 16: a bad quote (`"Accord"x`, line 2) quarantines its own line only; the other rows are mapped', async () => {
    const file = path.join(dir, 'accord.csv');
    fs.writeFileSync(file, accordFile());
    const q = path.join(dir, 'q.jsonl');
    const res = await fsgMap(['--adapter', 'autodealers-nl', file, '--quarantine', q]);
    expect(res.code).toBe(0);
    expect(res.err).toContain('read 5, mapped 4, quarantined 1, records 11\n');
    expect(jsonLines(q).filter((e) => e.warning !== true)).toEqual([
      {
        row: 1,
        line: 2,
        field: 'model',
        code: 'CSV_MALFORMED_QUOTE',
        message: expect.stringMatching(/^line 2: /),
      },
    ]);
  });

  it('--in-memory-dedupe gives the same output', async () => {
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    const file = fixture('boatreg-nl', 'broken.csv');
    await fsgMap(['--adapter', 'boatreg-nl', file, '--out', a]);
    const res = await fsgMap(['--adapter', 'boatreg-nl', file, '--out', b, '--in-memory-dedupe']);
    expect(res.code).toBe(0);
    expect(fs.readFileSync(b, 'utf8')).toBe(fs.readFileSync(a, 'utf8'));
  });

  it('--format overrides the extension (NDJSON claims in a .txt file)', async () => {
    const claims = JSON.parse(fs.readFileSync(fixture('insureco', 'sample.json'), 'utf8')) as unknown[];
    const file = path.join(dir, 'claims.txt');
    fs.writeFileSync(file, claims.map((c) => JSON.stringify(c)).join('\n'));
    const res = await fsgMap(['--adapter', 'insureco', '--format', 'ndjson', file]);
    expect(res.code).toBe(0);
    expect(res.err).toBe(
      'read 3, mapped 3, quarantined 0, records 7\nwarnings 1 on mapped rows (not written: add --quarantine <file>)\n',
    );
  });

  it('respects backpressure of a slow output and loses nothing', async () => {
    const slow = sink({ slow: true });
    const res = await fsgMap(['--adapter', 'boatreg-nl', fixture('boatreg-nl', 'sample.json')], {
      stdout: slow.stream,
    });
    expect(res.code).toBe(0);
    expect(slow.text().trim().split('\n')).toHaveLength(14);
  });

  it('--progress writes a progress line at most every 500 ms and a final rate and peak RSS', async () => {
    let t = 0;
    const now = () => (t += 300); // every call advances the clock
    const res = await fsgMap(
      [
        '--adapter',
        'boatreg-nl',
        fixture('boatreg-nl', 'sample.csv'),
        '--progress',
        '--out',
        path.join(dir, 'o'),
      ],
      {
        now,
      },
    );
    expect(res.code).toBe(0);
    expect(res.err).toMatch(/^mapping .*sample\.csv: \d+ rows, \d+ rows\/s\n/);
    expect(res.err).toContain('read 5, mapped 5, quarantined 0, records 14\n');
    expect(res.err).toMatch(/elapsed [\d.]+ s, \d+ rows\/s, peak RSS \d+ MiB\n$/);
  });

  it('on a terminal the progress line rewrites itself', async () => {
    const err = sink({ tty: true });
    await fsgMap(
      ['--adapter', 'boatreg-nl', fixture('boatreg-nl', 'sample.csv'), '--out', path.join(dir, 'o')],
      {
        stderr: err.stream,
      },
    );
    expect(err.text()).toMatch(/^\rmapping .*: 5 rows, \d+ rows\/s\nread 5, mapped 5/);
  });

  it.each([
    [
      ['--adapter', 'nope', 'x.csv'],
      /unknown adapter "nope" \(one of boatreg-nl, autodealers-nl, insureco\)/,
    ],
    [['x.csv'], /--adapter <id> is required/],
    [['--adapter', 'boatreg-nl', '/no/such/file.csv'], /\/no\/such\/file\.csv: no such file/],
    [['--adapter', 'autodealers-nl', 'ledger.json'], /adapter "autodealers-nl" reads csv, not json/],
    [['--adapter', 'boatreg-nl', 'export.xlsx'], /cannot tell the format .* add --format/],
    [['--adapter', 'boatreg-nl', '--format', 'xml', 'a.csv'], /unknown format "xml"/],
  ])('exit 2 with a readable message for %j', async (args, message) => {
    const res = await fsgMap(args);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^fsg map: /);
    expect(res.err).toMatch(message);
    expect(res.out).toBe('');
  });

  it('exit 2 when the output cannot be written', async () => {
    const res = await fsgMap([
      '--adapter',
      'boatreg-nl',
      fixture('boatreg-nl', 'sample.csv'),
      '--out',
      path.join(dir, 'no', 'dir', 'o.jsonl'),
    ]);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/cannot write \(ENOENT\)/);
  });
});
