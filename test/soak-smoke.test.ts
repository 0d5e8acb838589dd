/**
 * The soak (bench/soak.ts) for five seconds at small sizes: every kind of request is sent and
 * answered without a failure or a refusal, and each minute reports the gateway's memory, log and WAL.
 * No speed is asserted: the soak's figures come from `npm run soak` (docs/performance.md).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const SOAK = path.join(ROOT, 'dist', 'bench', 'soak.js');
const KINDS = [
  'detail',
  'events:gateway',
  'events:insureco',
  'events:police-nl',
  'lookup',
  'stats:gateway',
  'stats:insureco',
  'stats:police-nl',
  'upload',
];

interface Counts {
  count: number;
  ok: number;
  refused: number;
  errors: number;
  other: number;
}

interface Result {
  total: Counts;
  kinds: Record<string, Counts>;
  minutes: { rssMiB: number; heapUsedMiB: number; walMiB: number; logEntries: number }[];
}

let results: string;
let run: ReturnType<typeof spawnSync>;
let result: Result;

beforeAll(() => {
  if (!fs.existsSync(SOAK)) throw new Error('Build first: npm test runs `npm run build` before jest.');
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-soak-smoke-'));
  const args = ['--seconds', '5', '--analysts', '20', '--records', '200', '--upload-rows', '200'];
  run = spawnSync(process.execPath, [SOAK, ...args, '--results', results], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const files = fs.readdirSync(results).filter((f) => /^soak-.+\.json$/.test(f));
  if (files.length !== 1)
    throw new Error(`expected one result file, found ${files.join(', ')}: ${run.stderr}`);
  result = JSON.parse(fs.readFileSync(path.join(results, files[0]), 'utf8')) as Result;
}, 70_000);

afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

describe('soak, five seconds', () => {
  it('sends every kind of request and every one is answered without failure or refusal', () => {
    expect(Object.keys(result.kinds).sort()).toEqual(KINDS);
    for (const kind of KINDS) {
      expect(result.kinds[kind].count).toBeGreaterThan(0);
      expect(result.kinds[kind].ok).toBe(result.kinds[kind].count);
    }
    expect(result.total).toMatchObject({ errors: 0, other: 0, refused: 0 });
    expect(run.status).toBe(0);
  });

  it("reports the gateway's memory, the log's entries and the WAL for the minute", () => {
    expect(result.minutes).toHaveLength(1);
    const [minute] = result.minutes;
    expect(minute.rssMiB).toBeGreaterThan(0);
    expect(minute.heapUsedMiB).toBeGreaterThan(0);
    expect(minute.walMiB).toBeGreaterThanOrEqual(0);
    // At least one entry per lookup, detail request and upload (DPO reads write none).
    const { lookup, detail, upload } = result.kinds;
    expect(minute.logEntries).toBeGreaterThanOrEqual(lookup.count + detail.count + upload.count);
  });

  it('prints the per-minute and per-kind tables', () => {
    const out = String(run.stdout);
    expect(out).toMatch(/\| minute +\| requests +\| failed +\| refused +\|/);
    for (const kind of KINDS) expect(out).toContain(`| ${kind} `);
  });
});
