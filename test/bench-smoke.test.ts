/**
 * `fsg bench --smoke`: every benchmark runs at tiny sizes, with its baseline, and yields a well-formed
 * row with finite positive figures. No speed is asserted here: figures of a smoke run mean nothing,
 * the real run is `npm run bench` (docs/performance.md).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const BENCHMARKS = [
  'decision',
  'http-lookup',
  'log-append',
  'log-verify',
  'mapping',
  'lookup-scale',
  'upload-lookups',
  'dpo-pages',
];

interface Row {
  benchmark: string;
  figure: string;
  unit: string;
  gateway: number;
  baseline: number;
  baselineIs: string;
  ratio: number;
  target: { min?: number; max?: number };
  met: boolean;
}

interface Result {
  smoke: boolean;
  machine: { cpus: number; cpuModel: string; node: string };
  rows: Row[];
  failures: unknown[];
}

let results: string;
let run: ReturnType<typeof spawnSync>;
let result: Result;

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bench-smoke-'));
  run = spawnSync(process.execPath, [CLI, 'bench', '--smoke', '--results', results], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const files = fs.readdirSync(results).filter((f) => /^bench-smoke-.+\.json$/.test(f));
  if (files.length !== 1)
    throw new Error(`expected one result file, found ${files.join(', ')}: ${run.stderr}`);
  result = JSON.parse(fs.readFileSync(path.join(results, files[0]), 'utf8')) as Result;
}, 130_000);

afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

describe('fsg bench --smoke', () => {
  it('runs every benchmark to the end and exits 0', () => {
    expect(result.failures).toEqual([]);
    expect(run.status).toBe(0);
    expect(result.smoke).toBe(true);
    expect(new Set(result.rows.map((r) => r.benchmark))).toEqual(new Set(BENCHMARKS));
  });

  it('gives every row a finite positive figure for the gateway and its baseline, and a verdict', () => {
    for (const row of result.rows) {
      expect(typeof row.figure).toBe('string');
      expect(row.figure.length).toBeGreaterThan(0);
      expect(row.unit.length).toBeGreaterThan(0);
      expect(row.baselineIs.length).toBeGreaterThan(0);
      for (const value of [row.gateway, row.baseline, row.ratio]) {
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThan(0);
      }
      expect(row.ratio).toBeCloseTo(row.gateway / row.baseline, 6);
      const bounds = [row.target.min, row.target.max].filter((b) => b !== undefined);
      // One bound, or none for a row shown for information (log-verify's full run).
      expect(bounds.length).toBeLessThanOrEqual(1);
      for (const bound of bounds) expect(bound).toBeGreaterThan(0);
      if (bounds.length === 0) expect(row.benchmark).toBe('log-verify');
      expect(typeof row.met).toBe('boolean');
    }
  });

  it('prints the table with the machine it ran on', () => {
    const out = String(run.stdout);
    expect(out).toMatch(/\| figure +\| gateway +\| baseline +\| ratio +\| target +\| met\? \|/);
    for (const row of result.rows) expect(out).toContain(row.figure);
    expect(out).toContain(`Node ${result.machine.node}`);
    expect(result.machine.cpus).toBeGreaterThan(0);
    expect(result.machine.cpuModel.length).toBeGreaterThan(0);
  });
});
