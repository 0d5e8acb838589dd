/**
 * The parallel verification of a log database (what `fsg audit verify` runs): the hash chain and the
 * Merkle roots against every signed checkpoint, on every core, and with `deep` (the default of the
 * command) the full verifier's checks of every row. What a job checks and how: verify-chunk.ts.
 *
 * The log is cut into jobs of CHUNK entries (a power of two, so each job's leaves are aligned perfect
 * subtrees of the RFC 9162 tree), verified by worker threads (and this one, see Pool), each with its own
 * job reader from the store (AuditLogReader.openChunkRows: a read-only connection and plain range
 * queries; a worker opens it from the log's source, openLogReader). This thread takes the results in
 * seq order (a bounded window of jobs in flight, so memory does not grow with the log), checks the
 * links between jobs, pushes each job's subtrees onto the tree's compact range, and compares the root
 * and head of every checkpoint.
 *
 * It decides only "intact". At the first thing that does not check out (a hash, a link, a seq, a root,
 * a checkpoint beyond the end, a refused checkpoint, a deep check), it runs the full verifier
 * (verify-log.ts) over the same log, which names the first bad entry and how it was changed: a finding
 * always comes from there, so the reports are the same as the sequential verifier's.
 *
 * Without `deep` (`--fast`, scope 'chain+merkle') it does not check that each body is canonical JSON of
 * the exact fields and types, that the denormalised columns say what the body says, that the partner
 * and keyed-hash indexes (what a DPO's filters use) hold exactly the body's partners and hashes, nor
 * that the stored Merkle tree (what proofs and the next checkpoint are computed from) is the bodies' tree:
 * `deep` compares every stored node, the jobs those inside them and this thread those above.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { GENESIS_HASH } from './chain';
import { keyIdOf } from './checkpoint';
import { EMPTY_ROOT } from './merkle';
import { logReaderOf, verifyLogFile, type LogLocation } from './verify-file';
import {
  node,
  verifyChunk,
  type ChunkJob,
  type ChunkReader,
  type ChunkResult,
  type Subtree,
} from './verify-chunk';
import {
  prepareCheckpoints,
  type LogVerifyInput,
  type LogVerifyReport,
  type StatisticsCheck,
} from './verify-log';
import type { AuditLogReader, LogSource } from '../store/port';
import { addStoredBody, fromCountKey, StatsTally } from './stats';
import { timeOrderBreak } from './verify';

const EMPTY = Buffer.alloc(0);

/** Entries per job: a power of two (alignment), large enough that messages cost nothing per entry. */
export const CHUNK = 4096;

export type FastVerifyInput = Omit<LogVerifyInput, 'rows' | 'tree' | 'resume' | 'orderedFrom'> &
  LogLocation &
  FastOptions;

export interface FastOptions {
  /** Also the full verifier's row checks (canonical form, columns, indexes) and the stored Merkle nodes. */
  deep?: boolean;
  /** Worker threads; 0 runs the jobs in this thread. Default: one per core, at most 2. */
  threads?: number;
  /** Entries per job (a power of two); tests make it small. */
  chunk?: number;
  /** The compiled worker script; default: verify-fast-worker.js beside this file (in dist/). */
  workerFile?: string;
  /** Told the entries checked so far, of all, after each job (the command's progress line). */
  onProgress?: (checked: number, total: number) => void;
}

export interface FastVerifyReport extends LogVerifyReport {
  /** What was checked: the chain and the roots only, or everything the full verifier checks. */
  scope: 'chain+merkle' | 'full';
  /** Set when the parallel pass stopped at a problem and the full verifier ran to name it: why. */
  fellBack?: string;
}

/** The compiled worker beside this module; undefined under ts-node/ts-jest (no .js next to the .ts). */
export function defaultWorkerFile(): string | undefined {
  const file = path.join(__dirname, 'verify-fast-worker.js');
  return fs.existsSync(file) ? file : undefined;
}

export function defaultThreads(): number {
  return Math.min(2, os.availableParallelism());
}

/**
 * Runs jobs on worker threads (or, with none, on this thread), hands results back in job order. This
 * thread does not run jobs beside the workers: with one worker per core it would only take a core from
 * them, and its first job, on cold code while the workers start, took longer than the workers' start
 * (measured: 76 ms against 33 ms), so the workers waited for it. At most `window` jobs past the one
 * awaited are handed out, so memory does not grow with the log.
 */
class Pool {
  private readonly results = new Map<number, ChunkResult>();
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly reader: ChunkReader;
  private next = 0;
  private awaited = 0;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    log: AuditLogReader,
    private readonly deep: boolean,
    private readonly job: (id: number) => ChunkJob,
    private readonly jobs: number,
    private readonly window: number,
    threads: number,
    workerFile: string | undefined,
  ) {
    if (!log.openChunkRows) throw new Error('the parallel verifier cannot read this store');
    this.reader = log.openChunkRows(deep);
    const workerData: { source: LogSource; deep: boolean } = { source: log.source, deep };
    for (let i = 0; workerFile && i < threads; i++) {
      const worker = new Worker(workerFile, { workerData });
      worker.on('message', (message: ChunkResult | 'ready') => {
        // Two jobs per worker at a time, so it has the next one while this thread is busy.
        if (message === 'ready') this.idle.push(worker, worker);
        else {
          this.results.set(message.id, message);
          this.idle.push(worker);
        }
        this.pump();
        this.notify();
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (this.workers.includes(worker))
          this.fail(new Error(`a verifier thread stopped (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.next < this.jobs && this.next < this.awaited + this.window) {
      this.idle.pop()!.postMessage(this.job(this.next++));
    }
  }

  /** The result of job `id` (asked in order 0, 1, 2, …). */
  async take(id: number): Promise<ChunkResult> {
    this.awaited = id;
    this.pump();
    for (;;) {
      if (this.failure) throw this.failure;
      const result = this.results.get(id);
      if (result) {
        this.results.delete(id);
        return result;
      }
      if (this.next === id && this.workers.length === 0) {
        // No worker threads: every job runs here.
        const own = this.next++;
        this.results.set(own, verifyChunk(this.reader, this.job(own), this.deep));
        // Let the workers' results (and anything else) in between jobs of a long verification.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    this.reader.close();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The tree's compact range as jobs arrive, in order (each job's subtrees are aligned). */
class Edge {
  private readonly stack: { hash: Buffer; size: number }[] = [];
  private leaves = 0;

  /**
   * Adds a job's subtrees; false when a node they complete (above the jobs: each job's own are checked
   * in the job) is not the stored one that `check` is given.
   */
  push(range: readonly Subtree[], check?: (level: number, index: number, hash: Buffer) => boolean): boolean {
    for (const s of range) {
      let hash: Buffer = Buffer.from(s.hash, 'hex');
      let size = s.size;
      let level = Math.log2(size);
      this.leaves += size;
      while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === size) {
        hash = node(this.stack.pop()!.hash, hash);
        size *= 2;
        level++;
        if (check && !check(level, this.leaves / size - 1, hash)) return false;
      }
      this.stack.push({ hash, size });
    }
    return true;
  }

  /** MTH of what was pushed followed by `more` (the compact range of a partial job). */
  rootWith(more: readonly Subtree[]): string {
    const hashes = [...this.stack.map((s) => s.hash), ...more.map((s) => Buffer.from(s.hash, 'hex'))];
    if (hashes.length === 0) return EMPTY_ROOT.toString('hex');
    let acc = hashes[hashes.length - 1];
    for (let i = hashes.length - 2; i >= 0; i--) acc = node(hashes[i], acc);
    return acc.toString('hex');
  }
}

/** Verifies a log (a store's reader, or a SQLite file): fast when intact, the full verifier's findings when not. */
export async function verifyLogFast(input: FastVerifyInput): Promise<FastVerifyReport> {
  const log = await logReaderOf(input);
  const sequential = async (): Promise<FastVerifyReport> => {
    const {
      deep: _d,
      threads: _t,
      chunk: _c,
      workerFile: _w,
      file: _f,
      log: _l,
      onProgress: _p,
      ...rest
    } = input;
    return { ...(await verifyLogFile({ ...rest, log })), scope: 'full' };
  };
  const fallBack = async (why: string): Promise<FastVerifyReport> => ({
    ...(await sequential()),
    fellBack: why,
  });
  // A store the parallel verifier cannot read (PostgreSQL) gets the sequential one: every check, one
  // thread; deep, then its stored statistics' counts against the bodies, as the jobs count them.
  if (!log.openChunkRows) {
    const report = await sequential();
    const stored = input.deep ? log.span(true).stats : undefined;
    if (!stored || !report.ok) return report;
    const statistics = compareCounts(stored.counts, await countBodies(log, stored.zones));
    return { ...report, ok: statistics.mismatch === undefined, statistics };
  }
  const { invalid, list: checkpoints } = prepareCheckpoints(input);
  if (invalid.length > 0) return fallBack('a checkpoint was refused');

  const deep = input.deep ?? false;
  // One snapshot: the entries 1..n and the counts the store wrote with them.
  const { utf8, lo, hi, stats: stored } = log.span(deep);
  if (!utf8) return fallBack('the database is not UTF-8');
  const n = hi ?? 0;
  if (hi !== null && lo !== 1) return fallBack('the first entry is not #1');
  const orderedFrom = deep ? log.timeOrder() : undefined;
  if (checkpoints.some((c) => c.treeSize > n))
    return fallBack('a checkpoint covers more entries than the log has');
  if (n > 0 && checkpoints.length === 0 && !input.allowNoCheckpoint) return fallBack('no checkpoint');

  const chunk = input.chunk ?? CHUNK;
  if (!Number.isSafeInteger(chunk) || chunk < 1 || (chunk & (chunk - 1)) !== 0) {
    throw new RangeError(`chunk must be a power of two: ${chunk}`);
  }
  const threads = input.threads ?? defaultThreads();
  const jobs = Math.ceil(n / chunk);
  // The checkpoint sizes that fall in a job (ascending, as checkpoints are sorted).
  const sizesOf = (from: number, to: number) =>
    checkpoints.filter((cp) => cp.treeSize >= from && cp.treeSize <= to).map((cp) => cp.treeSize);
  const job = (id: number): ChunkJob => {
    const from = id * chunk + 1;
    const to = Math.min(n, from + chunk - 1);
    return {
      id,
      from,
      to,
      sizes: sizesOf(from, to),
      ...(orderedFrom !== undefined ? { orderedFrom } : {}),
      ...(stored ? { zones: stored.zones } : {}),
    };
  };
  // Starting threads does not pay for a log of a few jobs.
  const useThreads = jobs > 2 ? threads : 0;
  const pool = new Pool(
    log,
    deep,
    job,
    jobs,
    Math.max(2, 2 * (useThreads + 1)),
    useThreads,
    input.workerFile ?? defaultWorkerFile(),
  );

  const edge = new Edge();
  const bySize = new Map(checkpoints.map((cp) => [cp.treeSize, cp]));
  // With the deep checks: the stored nodes above the jobs, and none past the end of the log.
  const tree = deep ? log.openTree() : undefined;
  const storedIs =
    tree && ((level: number, index: number, hash: Buffer) => hash.equals(tree.node(level, index) ?? EMPTY));
  let prevHash = GENESIS_HASH;
  let prevTs: string | undefined;
  const counted = new Map<string, number>();
  let problem: string | undefined;
  try {
    for (let id = 0; id < jobs && problem === undefined; id++) {
      const result = await pool.take(id);
      if (result.problem) {
        problem = `entry #${result.problem.seq}: ${result.problem.what}`;
        break;
      }
      if (result.firstPrevHash !== prevHash) {
        problem = `entry #${result.from}: link`;
        break;
      }
      if (timeOrderBreak(orderedFrom, result.from, result.firstTs, prevTs)) {
        problem = `entry #${result.from}: time-order`;
        break;
      }
      prevTs = result.lastTs;
      for (const [key, count] of result.counts ?? []) counted.set(key, (counted.get(key) ?? 0) + count);
      for (const at of result.at) {
        const cp = bySize.get(at.size)!;
        if (edge.rootWith(at.range) !== cp.rootHash || at.head !== cp.headHash) {
          problem = `the checkpoint of tree size ${at.size}`;
          break;
        }
      }
      if (!edge.push(result.range, storedIs)) {
        problem = `a stored Merkle node over entries up to #${result.to}`;
        break;
      }
      prevHash = result.lastHash!;
      input.onProgress?.(result.to, n);
    }
    const left = problem === undefined ? tree?.beyond() : undefined;
    if (left?.node && left.lastSeq <= n) problem = 'a stored Merkle node past the end of the log';
  } finally {
    tree?.close();
    await pool.close();
  }
  if (problem !== undefined) return fallBack(problem);

  const statistics = stored && compareCounts(stored.counts, counted);
  const latest = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  return {
    ok: statistics?.mismatch === undefined,
    ...(statistics ? { statistics } : {}),
    checked: n,
    headSeq: n === 0 ? null : n,
    headHash: n === 0 ? null : prevHash,
    entries: n,
    checkpoints: {
      total: checkpoints.length,
      matched: checkpoints.length,
      keyId: keyIdOf(input.publicKey),
      latest,
      invalid: [],
    },
    unsigned: n - (latest?.treeSize ?? 0),
    scope: deep ? 'full' : 'chain+merkle',
  };
}

/** The statistics' counts of every entry of `log` (StatsTally keys), in `zones`. */
async function countBodies(log: AuditLogReader, zones: [string, string][]): Promise<Map<string, number>> {
  const tally = new StatsTally(new Map(zones));
  for await (const row of log.rawRows(READ_PAGE, 0)) {
    if (typeof row.body === 'string') addStoredBody(tally, row.body);
  }
  return tally.counts;
}

/** Rows per read of a count over the whole log. */
const READ_PAGE = 1000;

/** The stored counts against those of the bodies: the first that differs (in key order), if any. */
function compareCounts(stored: Map<string, number>, counted: Map<string, number>): StatisticsCheck {
  const keys = [...new Set([...stored.keys(), ...counted.keys()])].sort();
  for (const key of keys) {
    const [a, b] = [stored.get(key) ?? 0, counted.get(key) ?? 0];
    if (a === b) continue;
    const { scope, day, agreement, measure } = fromCountKey(key);
    return {
      counts: stored.size,
      mismatch:
        `the stored count of ${measure} on ${day} under agreement "${agreement}" in scope ${scope} is ${a}, ` +
        `the entries make ${b}`,
    };
  }
  return { counts: stored.size };
}
