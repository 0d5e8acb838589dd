/** `fsg map` then `fsg unmap` as a user runs them: the built CLI in child processes. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, cliRunner, ROOT } from '../helpers/cli';

let dir: string;
const fsg = cliRunner(() => dir);

beforeAll(() => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-unmap-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fsg unmap', () => {
  it('prints help', () => {
    const res = fsg(['unmap', '--help']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Usage: fsg unmap/);
  });

  it('writes the dealers ledger back as CSV with its header; mapping that again gives the same records', () => {
    const sample = path.join(ROOT, 'adapters', 'autodealers-nl', 'fixtures', 'sample.csv');
    const records = path.join(dir, 'sales.jsonl');
    expect(fsg(['map', '--adapter', 'autodealers-nl', sample, '--out', records]).code).toBe(0);
    const unmapped = fsg(['unmap', '--adapter', 'autodealers-nl', records]);
    expect(unmapped).toMatchObject({ code: 0, err: 'records 11, rows 4 (csv)\n' });
    expect(unmapped.out.split('\n')[0]).toBe(fs.readFileSync(sample, 'utf8').split('\n')[0]);
    const ledger = path.join(dir, 'sales.csv');
    expect(fsg(['unmap', '--adapter', 'autodealers-nl', records, '-o', ledger]).code).toBe(0);
    expect(fs.readFileSync(ledger, 'utf8')).toBe(unmapped.out);
    const again = fsg(['map', '--adapter', 'autodealers-nl', ledger]);
    expect(again.code).toBe(0);
    expect(again.out).toBe(fs.readFileSync(records, 'utf8'));
  });

  it('writes NDJSON when the output file says so', () => {
    const sample = path.join(ROOT, 'adapters', 'insureco', 'fixtures', 'sample.json');
    const records = path.join(dir, 'claims.jsonl');
    expect(fsg(['map', '--adapter', 'insureco', sample, '--out', records]).code).toBe(0);
    const out = path.join(dir, 'claims.ndjson');
    expect(fsg(['unmap', '--adapter', 'insureco', records, '-o', out]).code).toBe(0);
    const claims = fs
      .readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { claimId: string });
    expect(claims.map((c) => c.claimId)).toEqual(
      (JSON.parse(fs.readFileSync(sample, 'utf8')) as { claimId: string }[]).map((c) => c.claimId),
    );
  });

  it('exits 1 naming line and field of a bad record, and 2 without an adapter', () => {
    const records = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(records, '{"sourceRef":"x","objectType":"boat"}\n');
    const bad = fsg(['unmap', '--adapter', 'boatreg-nl', records, '-o', path.join(dir, 'bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^.*bad\.jsonl: line 1 \(record 1\), field \//m);
    expect(fs.existsSync(path.join(dir, 'bad.csv'))).toBe(false);
    const usage = fsg(['unmap', records]);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--adapter <id> is required');
  });
});
