/**
 * `fsg unmap` in process: every adapter's example file survives map → unmap → map with the same
 * records, and bad records are named by line, record and field with nothing written.
 *
 * "Lossless" here means: the records are equal (every field, in order) and the unmapped file has one
 * row per source row (e.g. a vessel with two hull numbers, two linked boat records, comes back as one
 * row holding both). It does not mean byte-equal source files: what the records do not carry cannot
 * come back (boatreg-nl's engine power, a status word in Dutch, an engine make equal to the car's) and
 * identifiers come back normalised (registration "NL-8841-AB" as "NL8841AB").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runMapCommand } from '../../../src/mapping/map-command';
import { readCsvRows } from '../../../src/mapping/csv-reader';
import { csvText, runUnmapCommand, UNMAP_EXIT } from '../../../src/mapping/unmap-command';

const ROOT = path.resolve(__dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-unmap-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (s: PassThrough) => () => String(s.read() ?? '');
  return { io: { stdout, stderr }, out: text(stdout), err: text(stderr) };
}

async function map(adapter: string, file: string, out: string): Promise<unknown[]> {
  const { io: streams, err } = io();
  const code = await runMapCommand(
    { adapter, file, out, quarantine: `${out}.quarantine`, inMemoryDedupe: true, singleThread: true },
    streams,
  );
  expect({ code, err: err() }).toMatchObject({ code: 0 });
  // Warnings (a VIN check digit outside North America) are kept; a quarantined row would be a loss.
  const entries = fs
    .readFileSync(`${out}.quarantine`, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  expect(entries.filter((l) => !(JSON.parse(l) as { warning?: boolean }).warning)).toEqual([]);
  return fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

async function unmap(adapter: string, file: string, out: string): Promise<string> {
  const { io: streams, err } = io();
  const code = await runUnmapCommand({ adapter, file, out }, streams);
  expect({ code, err: err() }).toMatchObject({ code: UNMAP_EXIT.OK });
  return fs.readFileSync(out, 'utf8');
}

/** Data rows of a partner file: CSV lines after the header, or the items of a JSON array. */
function rowCount(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.csv')) return text.split('\n').filter((l) => l.trim() !== '').length - 1;
  return (JSON.parse(text) as unknown[]).length;
}

describe('fsg unmap: round trip of every adapter example file', () => {
  it.each([
    ['autodealers-nl', 'sample.csv'],
    ['boatreg-nl', 'sample.csv'],
    ['boatreg-nl', 'sample.json'],
    ['insureco', 'sample.json'],
  ])('%s %s: map, unmap, map again gives the same records, one row per source row', async (adapter, name) => {
    const sample = path.join(ROOT, 'adapters', adapter, 'fixtures', name);
    const base = path.join(dir, `${adapter}-${name}`);
    const ext = path.extname(name);
    const first = await map(adapter, sample, `${base}.1.jsonl`);
    expect(first.length).toBeGreaterThan(rowCount(sample));
    const partner = await unmap(adapter, `${base}.1.jsonl`, `${base}.unmapped${ext}`);
    expect(rowCount(`${base}.unmapped${ext}`)).toBe(rowCount(sample));
    const second = await map(adapter, `${base}.unmapped${ext}`, `${base}.2.jsonl`);
    expect(second).toEqual(first);
    // And the unmapped file is a fixed point: unmapping the second records writes it again.
    expect(await unmap(adapter, `${base}.2.jsonl`, `${base}.again${ext}`)).toBe(partner);
  });

  it('boatreg-nl: a vessel with two hull numbers comes back as one CSV row holding both', async () => {
    const sample = path.join(ROOT, 'adapters', 'boatreg-nl', 'fixtures', 'sample.csv');
    await map('boatreg-nl', sample, path.join(dir, 'hulls.jsonl'));
    const csv = await unmap('boatreg-nl', path.join(dir, 'hulls.jsonl'), path.join(dir, 'hulls.csv'));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(fs.readFileSync(sample, 'utf8').split('\n')[0]!.replace(/\r$/, ''));
    expect(lines.filter((l) => l.includes('NL-HXAB7A33G293'))).toEqual([
      expect.stringMatching(/^NL8841AB,Zeemeeuw,NL-HXAB7A33G293;US-BMA45678H485,/),
    ]);
  });
});

describe('fsg unmap: bad input', () => {
  async function run(lines: string[], adapter = 'boatreg-nl') {
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.jsonl`);
    const out = `${file}.csv`;
    fs.writeFileSync(file, lines.join('\n'));
    const { io: streams, err } = io();
    const code = await runUnmapCommand({ adapter, file, out }, streams);
    return { code, err: err(), written: fs.existsSync(out) };
  }
  const boat = {
    sourceRef: 'NL-8841-AB',
    linkId: 'boatreg-nl:NL-8841-AB',
    objectType: 'boat',
    status: 'registered',
    identifier: { type: 'boat-registration', value: 'NL-8841-AB' },
  };

  it('names line, record and field of every bad record, and writes nothing', async () => {
    const res = await run([
      JSON.stringify(boat),
      '',
      '{"sourceRef": ',
      JSON.stringify({ ...boat, status: 'sunk' }),
      JSON.stringify({ ...boat, linkId: 'insureco:CLM-1' }),
      JSON.stringify({
        ...boat,
        objectType: 'vehicle',
        identifier: { type: 'vin', value: '1HGCM82633A004352' },
      }),
    ]);
    expect(res.code).toBe(UNMAP_EXIT.BAD_INPUT);
    expect(res.written).toBe(false);
    expect(res.err).toContain('line 3 (record 2): not a JSON value');
    expect(res.err).toMatch(/line 4 \(record 3\), field \/status: /);
    expect(res.err).toContain(
      'line 5 (record 4), field /linkId: "insureco:CLM-1" is not a link of adapter "boatreg-nl"',
    );
    expect(res.err).toContain(
      'line 6 (record 5), field /objectType: adapter "boatreg-nl" does not write vehicle records',
    );
    expect(res.err).toContain('4 bad records; nothing written');
    expect(res.err).not.toContain('line 1 ');
  });

  it('refuses a format the adapter does not write, an unknown adapter and a missing file (exit 2)', async () => {
    const { io: streams, err } = io();
    const file = path.join(dir, 'none.jsonl');
    expect(await runUnmapCommand({ adapter: 'insureco', file, format: 'csv' }, streams)).toBe(
      UNMAP_EXIT.USAGE,
    );
    expect(err()).toContain('adapter "insureco" writes json, ndjson, not csv');
    expect(await runUnmapCommand({ adapter: 'nope', file }, streams)).toBe(UNMAP_EXIT.USAGE);
    expect(err()).toContain('unknown adapter "nope"');
    expect(await runUnmapCommand({ adapter: 'insureco', file }, streams)).toBe(UNMAP_EXIT.USAGE);
    expect(err()).toContain(`${file}: no such file`);
  });
});

describe('csvText', () => {
  it('quotes only the cells that need it, and the CSV reader reads them back', async () => {
    const cells = ['Bos, Tom', 'say "hi"', 'two\nlines', 'plain', ''];
    const [a, b, c, d] = cells as [string, string, string, string];
    const text = csvText({ columns: ['a', 'b', 'c', 'd', 'e'], rows: [{ a, b, c, d }] });
    expect(text).toBe('a,b,c,d,e\n"Bos, Tom","say ""hi""","two\nlines",plain,\n');
    const rows = [];
    for await (const item of readCsvRows(Readable.from([Buffer.from(text)]))) rows.push(item);
    expect(rows).toEqual([expect.objectContaining({ cells })]);
  });
});
