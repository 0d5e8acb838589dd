import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boatregNl } from '../../../adapters/boatreg-nl/mapping';
import { generateBoatreg } from '../../../bench/generate-boatreg';
import { mapAll } from '../../../src/mapping/run';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-gen-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bench/generate-boatreg', () => {
  it('writes valid, unique rows, the same for the same seed', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    await generateBoatreg({ rows: 500, out: a, seed: 7 });
    await generateBoatreg({ rows: 500, out: b, seed: 7 });
    expect(fs.readFileSync(a, 'utf8')).toBe(fs.readFileSync(b, 'utf8'));
    const { summary, warnings } = await mapAll(boatregNl, fs.createReadStream(a), 'csv');
    expect(summary).toMatchObject({ read: 500, mapped: 500, quarantined: 0 });
    expect(warnings).toEqual([]);
  });

  it('--dirty makes a share of the rows quarantined, every row still accounted for', async () => {
    const file = path.join(dir, 'dirty.csv');
    await generateBoatreg({ rows: 1000, out: file, seed: 1, dirty: 0.1 });
    const { summary, quarantine } = await mapAll(boatregNl, fs.createReadStream(file), 'csv');
    expect(summary.read).toBe(1000);
    expect(summary.mapped + summary.quarantined).toBe(1000);
    expect(summary.quarantined).toBeGreaterThan(50);
    expect(new Set(quarantine.map((q) => q.code))).toEqual(
      new Set(['HIN_MONTH', 'FIELD_MISSING', 'FIELD_TYPE', 'DUPLICATE_IDENTIFIER']),
    );
  });
});
