/**
 * `npm run bench -- --smoke` (bench/cli.ts): every benchmark runs at tiny sizes, with its baseline, and yields a well-formed
 * row with finite positive figures. No speed is asserted here: figures of a smoke run mean nothing,
 * the real run is `npm run bench` (docs/performance.md). The PostgreSQL benchmarks run where a server
 * answers (the tests' FSG_TEST_PG, as the bench's BENCH_PG_URL) and must then yield their rows; where
 * none does, they must say they did not run, and yield no figure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PG_URL } from './postgres/pg-db';

const ROOT = path.resolve(__dirname, '..');
/** The benchmarks' own command: `npm run bench` runs it, the production `fsg` has none. */
const CLI = path.join(ROOT, 'dist', 'bench', 'cli.js');
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
const PG_BENCHMARKS = ['pg-http-lookup', 'pg-log-append', 'pg-instances'];
/** Rows shown for information, without a target. */
const UNTARGETED = ['log-verify', 'pg-instances'];

/** Whether a PostgreSQL server answers at PG_URL's host and port (or one is required: FSG_REQUIRE_PG). */
function postgresHere(): boolean {
  if (process.env.FSG_REQUIRE_PG === '1') return true;
  const url = new URL(PG_URL);
  const probe = `require('net').connect(${Number(url.port || 5432)}, ${JSON.stringify(url.hostname || '127.0.0.1')})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

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
  notRun: { benchmark: string; reason: string }[];
}

let results: string;
let run: ReturnType<typeof spawnSync>;
let result: Result;

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bench-smoke-'));
  run = spawnSync(process.execPath, [CLI, '--smoke', '--results', results], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      BENCH_PG_URL: PG_URL,
      ...(process.env.FSG_REQUIRE_PG ? { FSG_REQUIRE_PG: process.env.FSG_REQUIRE_PG } : {}),
    },
    encoding: 'utf8',
    timeout: 170_000,
  });
  const files = fs.readdirSync(results).filter((f) => /^bench-smoke-.+\.json$/.test(f));
  if (files.length !== 1)
    throw new Error(`expected one result file, found ${files.join(', ')}: ${run.stderr}`);
  result = JSON.parse(fs.readFileSync(path.join(results, files[0]), 'utf8')) as Result;
}, 180_000);

afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

describe('bench --smoke', () => {
  it('runs every benchmark to the end and exits 0', () => {
    expect(result.failures).toEqual([]);
    expect(run.status).toBe(0);
    expect(result.smoke).toBe(true);
    const ran = new Set(result.rows.map((r) => r.benchmark));
    const notRun = result.notRun.map((n) => n.benchmark);
    expect(ran).toEqual(new Set([...BENCHMARKS, ...PG_BENCHMARKS].filter((b) => !notRun.includes(b))));
    if (postgresHere()) expect(notRun).toEqual([]);
  });

  it('says so of a PostgreSQL benchmark that could not run, and gives it no figure', () => {
    if (result.notRun.length === 0) expect(String(run.stdout)).not.toContain('NOT RUN');
    for (const n of result.notRun) {
      expect(PG_BENCHMARKS).toContain(n.benchmark);
      expect(n.reason).toMatch(/PostgreSQL is not reachable/);
      expect(String(run.stdout)).toContain(`NOT RUN (no figure): ${n.benchmark}`);
    }
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
      // One bound, or none for a row shown for information (log-verify's full run, pg-instances).
      expect(bounds.length).toBeLessThanOrEqual(1);
      for (const bound of bounds) expect(bound).toBeGreaterThan(0);
      if (bounds.length === 0) expect(UNTARGETED).toContain(row.benchmark);
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
