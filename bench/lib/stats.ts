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

/** USER_HZ: Linux reports /proc CPU times in 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) of each thread of process `pid`, by thread id; empty where /proc is not. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  const dir = `/proc/${pid}/task`;
  if (!fs.existsSync(dir)) return threads;
  for (const tid of fs.readdirSync(dir)) {
    try {
      const stat = fs.readFileSync(`${dir}/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return threads;
}

/**
 * CPU microseconds per request of a server process between two `threadCpuSeconds` readings: its main
 * thread (the event loop, thread id = pid) and all its other threads (workers, libuv, V8) together.
 */
export function cpuPerRequest(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  requests: number,
): { mainMicros: number; otherThreadsMicros: number } | undefined {
  if (after.size === 0 || requests === 0) return undefined;
  let main = 0;
  let other = 0;
  for (const [tid, seconds] of after) {
    const used = seconds - (before.get(tid) ?? 0);
    if (tid === pid) main += used;
    else other += used;
  }
  const micros = (seconds: number) => Math.round((seconds / requests) * 1e6);
  return { mainMicros: micros(main), otherThreadsMicros: micros(other) };
}
