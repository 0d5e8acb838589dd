/** Starting bench/child.ts (compiled) in a process of its own, and talking to it. */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Keeps ../child.ts in the build (tsc emits what the program references): it is started by path. */
export type ChildScript = typeof import('../child');

/** The compiled child script beside this file's folder (dist/bench/child.js). */
export const CHILD = path.join(__dirname, '..', 'child.js');

export interface Child<T> {
  process: ChildProcess;
  /** The first message the child sent. */
  first: Promise<T>;
  /** Asks the child to stop and waits for it (kills it after 10 s). */
  stop(): Promise<void>;
}

/**
 * Forks the child; its stdout goes to `logFile` (or nowhere), stderr to ours. Rejects `first` when the
 * child ends before it said anything, or after `timeoutMs`.
 */
export function startChild<T>(
  args: string[],
  opts: { logFile?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Child<T> {
  if (!fs.existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (npm run build)`);
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = fork(CHILD, args, {
    stdio: ['ignore', out, 'inherit', 'ipc'],
    execArgv: opts.execArgv ?? profileArgs(),
    env: { ...process.env, ...opts.env },
  });
  if (typeof out === 'number') fs.closeSync(out);
  // A channel closed under a late send is no news: the child is gone or going.
  child.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const first = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${args[0]} said nothing in ${opts.timeoutMs ?? 600_000} ms`));
    }, opts.timeoutMs ?? 600_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as T);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`child ${args[0]} exited with ${code} before it answered`));
    });
  });
  first.catch(() => undefined);
  return {
    process: child,
    first,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      if (!child.connected) child.kill('SIGTERM');
      else child.send('stop', (error) => error && child.kill('SIGTERM'));
      await exited;
      clearTimeout(kill);
    },
  };
}

/**
 * BENCH_CPU_PROF=<folder>: every child writes a V8 CPU profile there (`node --cpu-prof`), which
 * NODE_OPTIONS may not carry. Off by default.
 */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Runs a child that answers once and exits; resolves with its answer. */
export async function runChild<T>(args: string[], timeoutMs = 600_000): Promise<T> {
  const child = startChild<T>(args, { timeoutMs });
  try {
    return await child.first;
  } finally {
    await child.stop();
  }
}
