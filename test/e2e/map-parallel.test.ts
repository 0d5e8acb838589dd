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

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
let dir: string;

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-map-parallel-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function map(file: string, extra: string[]): { out: string; quarantine: string; err: string } {
  const out = path.join(dir, `out-${extra.length}.jsonl`);
  const quarantine = path.join(dir, `q-${extra.length}.jsonl`);
  const res = spawnSync(
    process.execPath,
    [CLI, 'map', '--adapter', 'boatreg-nl', file, '--out', out, '--quarantine', quarantine, ...extra],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } },
  );
  expect(res.status).toBe(0);
  return {
    out: fs.readFileSync(out, 'utf8'),
    quarantine: fs.readFileSync(quarantine, 'utf8'),
    err: res.stderr,
  };
}

function expectSameBothWays(file: string): string {
  const parallel = map(file, []);
  const single = map(file, ['--single-thread']);
  expect(parallel.out).toBe(single.out);
  expect(parallel.quarantine).toBe(single.quarantine);
  expect(parallel.err).toBe(single.err);
  return parallel.err;
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
    const err = expectSameBothWays(file);
    // (a bad quote makes csv-parse read on inside it: fewer rows than lines, the same both ways)
    expect(err).toMatch(/read \d{4}, mapped \d+, quarantined [1-9]\d*, records/);
  });
});
