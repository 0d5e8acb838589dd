/** Small measuring helpers shared by the benchmarks: percentiles, timers, machine facts. */
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface Timed {
  /** Calls made. */
  calls: number;
  /** Wall time of the whole loop, seconds. */
  seconds: number;
  /** Per-call latency, milliseconds. */
  latencies: number[];
}

/**
 * Calls `fn(i)` until `maxCalls` calls or `maxSeconds` have passed (whichever comes first), timing
 * each call; bounded both ways so a slow machine still finishes.
 */
export function timeCalls(fn: (i: number) => unknown, maxCalls: number, maxSeconds: number): Timed {
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(maxSeconds * 1e9));
  let i = 0;
  for (; i < maxCalls; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    const end = process.hrtime.bigint();
    latencies.push(Number(end - t) / 1e6);
    if (end > deadline) {
      i++;
      break;
    }
  }
  return { calls: i, seconds: msSince(started) / 1000, latencies };
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

/** What the figures were measured on: nproc, the CPU model from /proc/cpuinfo, Node. */
export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    cpuModel,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export const MiB = 1024 * 1024;

let gcFunction: (() => void) | undefined;

/**
 * A full garbage collection now, so that one side's garbage (casbin allocates a lot) is not collected
 * during the other side's timed calls. Uses V8's gc() without --expose-gc on the command line.
 */
export function collectGarbage(): void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  gcFunction();
}
