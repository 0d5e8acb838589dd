/**
 * Runs the benchmarks one after the other (never two at once: they would share the two cores), prints
 * the table and writes bench/results/bench-<timestamp>.json (bench-smoke-<timestamp>.json for --smoke).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { decisionBenchmark } from './decision';
import { dpoPagesBenchmark } from './dpo-pages';
import { httpLookupBenchmark } from './http-lookup';
import { logAppendBenchmark } from './log-append';
import { logVerifyBenchmark } from './log-verify';
import { lookupScaleBenchmark } from './lookup-scale';
import { mappingBenchmark } from './mapping';
import { pgHttpLookupBenchmark } from './pg-http-lookup';
import { pgInstancesBenchmark } from './pg-instances';
import { pgLogAppendBenchmark } from './pg-log-append';
import { uploadLookupsBenchmark } from './upload-lookups';
import { machine } from './lib/stats';
import { BenchmarkNotRun, targetText, type Benchmark, type ResultRow } from './lib/types';

export const BENCHMARKS: readonly Benchmark[] = [
  decisionBenchmark,
  httpLookupBenchmark,
  logAppendBenchmark,
  logVerifyBenchmark,
  mappingBenchmark,
  lookupScaleBenchmark,
  uploadLookupsBenchmark,
  dpoPagesBenchmark,
  pgHttpLookupBenchmark,
  pgLogAppendBenchmark,
  pgInstancesBenchmark,
];

export interface RunOptions {
  smoke: boolean;
  only?: string[];
  resultsDir: string;
  out: Writable;
  log: (line: string) => void;
}

export interface BenchResult {
  startedAt: string;
  seconds: number;
  smoke: boolean;
  machine: ReturnType<typeof machine>;
  rows: ResultRow[];
  failures: { benchmark: string; error: string }[];
  /** Benchmarks that could not run here (no PostgreSQL server), with the reason: no figure, no failure. */
  notRun: { benchmark: string; reason: string }[];
}

/**
 * Resolves to the exit code: 0 when every benchmark ran (met or not) or could not run here (reported as
 * not run), 1 when one failed to run.
 */
export async function runBenchmarks(opts: RunOptions): Promise<number> {
  const unknown = (opts.only ?? []).filter((id) => !BENCHMARKS.some((b) => b.id === id));
  if (unknown.length > 0) {
    opts.log(
      `bench: unknown benchmark ${unknown.join(', ')} (one of ${BENCHMARKS.map((b) => b.id).join(', ')})`,
    );
    return 2;
  }
  const chosen = BENCHMARKS.filter((b) => !opts.only?.length || opts.only.includes(b.id));
  const started = new Date();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-bench-'));
  const result: BenchResult = {
    startedAt: started.toISOString(),
    seconds: 0,
    smoke: opts.smoke,
    machine: machine(),
    rows: [],
    failures: [],
    notRun: [],
  };
  try {
    for (const benchmark of chosen) {
      const t = Date.now();
      opts.log(`== ${benchmark.id}: ${benchmark.title}`);
      const dir = path.join(workDir, benchmark.id);
      fs.mkdirSync(dir, { recursive: true });
      try {
        result.rows.push(...(await benchmark.run({ smoke: opts.smoke, workDir: dir, log: opts.log })));
      } catch (error) {
        if (error instanceof BenchmarkNotRun) {
          result.notRun.push({ benchmark: benchmark.id, reason: error.message });
          opts.log(`${benchmark.id} NOT RUN: ${error.message}`);
        } else {
          const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
          result.failures.push({ benchmark: benchmark.id, error: message });
          opts.log(`${benchmark.id} failed: ${message}`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      opts.log(`   ${benchmark.id} took ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  result.seconds = (Date.now() - started.getTime()) / 1000;

  opts.out.write(formatTable(result));
  fs.mkdirSync(opts.resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(opts.resultsDir, `bench-${opts.smoke ? 'smoke-' : ''}${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  opts.out.write(`\nwritten to ${file}\n`);
  return result.failures.length > 0 ? 1 : 0;
}

/** A figure with about three significant digits, thousands separated. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A row shown for information (no target) is neither met nor missed. */
function hasTarget(r: ResultRow): boolean {
  return r.target.min !== undefined || r.target.max !== undefined;
}

export function formatTable(result: BenchResult): string {
  const m = result.machine;
  const header = ['figure', 'gateway', 'baseline', 'ratio', 'target', 'met?'];
  const lines = result.rows.map((r) => [
    r.figure,
    `${formatNumber(r.gateway)} ${r.unit}`,
    `${formatNumber(r.baseline)} ${r.unit}`,
    `${r.ratio.toFixed(2)}×`,
    targetText(r.target),
    hasTarget(r) ? (r.met ? 'yes' : 'NO') : '-',
  ]);
  const targeted = result.rows.filter(hasTarget);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}` +
      (result.smoke ? ' — SMOKE RUN: tiny sizes, the figures mean nothing' : ''),
    '',
    fmt(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(fmt),
    '',
    `${targeted.filter((r) => r.met).length} of ${targeted.length} targets met` +
      (targeted.length < result.rows.length
        ? ` (${result.rows.length - targeted.length} rows shown without a target)`
        : '') +
      `; ${result.seconds.toFixed(0)} s in all.`,
  ];
  for (const n of result.notRun) out.push(`NOT RUN (no figure): ${n.benchmark}: ${n.reason}`);
  for (const f of result.failures) out.push(`FAILED to run: ${f.benchmark}: ${f.error.split('\n')[0]}`);
  return out.join('\n') + '\n';
}
