/**
 * The fast verification of a log database: the hash chain and the Merkle roots against every signed
 * checkpoint, from the stored bytes, on every core. What it checks and how: verify-chunk.ts.
 *
 * The log is cut into jobs of CHUNK entries (a power of two, so each job's leaves are aligned perfect
 * subtrees of the RFC 9162 tree), verified by worker threads, each with its own read-only connection and
 * one plain range query per job. This thread takes the results in seq order (a bounded window of jobs in
 * flight, so memory does not grow with the log), checks the links between jobs, pushes each job's
 * subtrees onto the tree's compact range, and compares the root and head of every checkpoint.
 *
 * It decides only "intact". At the first thing that does not check out (a hash, a link, a seq, a root,
 * a checkpoint beyond the end, a refused checkpoint), it runs the full verifier (verify-log.ts) over the
 * same file, which names the first bad entry and how it was changed: a finding always comes from there.
 *
 * What it does not check (the full verifier's deep checks, `scope: 'full'`): that each body is canonical
 * JSON of the exact fields and types, that the denormalised columns say what the body says, and that the
 * partner and keyed-hash indexes (what a DPO's filters use) hold exactly the body's partners and hashes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GENESIS_HASH } from './chain';
import { keyIdOf } from './checkpoint';
import { EMPTY_ROOT } from './merkle';
import {
  openChunkReader,
  node,
  verifyChunk,
  type ChunkJob,
  type ChunkResult,
  type Subtree,
} from './verify-chunk';
import { prepareCheckpoints, verifyLog, type LogVerifyInput, type LogVerifyReport } from './verify-log';
import { readRawAuditRows } from '../store/sqlite';

/** Entries per job: a power of two (alignment), large enough that messages cost nothing per entry. */
export const CHUNK = 4096;

export interface FastVerifyInput extends Omit<LogVerifyInput, 'rows'> {
  /** The SQLite database of the log. */
  file: string;
  /** Also the full verifier's row checks (canonical form, columns, indexes) in the same pass. */
  deep?: boolean;
  /** Worker threads; 0 runs the jobs in this thread. Default: one per core, at most 2. */
  threads?: number;
  /** Entries per job (a power of two); tests make it small. */
  chunk?: number;
  /** The compiled worker script; default: verify-fast-worker.js beside this file (in dist/). */
  workerFile?: string;
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

interface Runner {
  run(job: ChunkJob): Promise<ChunkResult>;
  close(): Promise<void>;
}

function inThread(file: string, deep: boolean): Runner {
  const reader = openChunkReader(file);
  return {
    async run(job) {
      // Let other work run between jobs of a long verification.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return verifyChunk(reader, job, deep);
    },
    async close() {
      reader.close();
    },
  };
}

function inWorkers(file: string, deep: boolean, threads: number, workerFile: string): Runner {
  const waiting = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: unknown) => void }>();
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(workerFile, { workerData: { file, deep } });
    worker.on('message', (result: ChunkResult) => {
      const w = waiting.get(result.id);
      waiting.delete(result.id);
      w?.resolve(result);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (waiting.size > 0) fail(new Error(`a verifier thread stopped (exit code ${code})`));
    });
    return worker;
  });
  return {
    run(job) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.set(job.id, { resolve, reject });
        workers[job.id % workers.length].postMessage(job);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** The tree's compact range as jobs arrive, in order (each job's subtrees are aligned). */
class Edge {
  private readonly stack: { hash: Buffer; size: number }[] = [];

  push(range: readonly Subtree[]): void {
    for (const s of range) {
      let hash: Buffer = Buffer.from(s.hash, 'hex');
      let size = s.size;
      while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === size) {
        hash = node(this.stack.pop()!.hash, hash);
        size *= 2;
      }
      this.stack.push({ hash, size });
    }
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

/** Verifies the log in `file`: fast when it is intact, the full verifier's findings when not. */
export async function verifyLogFast(input: FastVerifyInput): Promise<FastVerifyReport> {
  const fallBack = async (why: string): Promise<FastVerifyReport> => {
    const full = await verifyLog({ ...input, rows: readRawAuditRows(input.file) });
    return { ...full, scope: 'full', fellBack: why };
  };
  const { invalid, list: checkpoints } = prepareCheckpoints(input);
  if (invalid.length > 0) return fallBack('a checkpoint was refused');

  const db = new Database(input.file, { readonly: true, fileMustExist: true });
  let n: number;
  try {
    if (db.pragma('encoding', { simple: true }) !== 'UTF-8') return fallBack('the database is not UTF-8');
    const span = db.prepare<[], { lo: number | null; hi: number | null }>(
      'SELECT min(seq) AS lo, max(seq) AS hi FROM audit_log',
    );
    const { lo, hi } = span.get()!;
    n = hi ?? 0;
    if (hi !== null && lo !== 1) return fallBack('the first entry is not #1');
  } finally {
    db.close();
  }
  if (checkpoints.some((c) => c.treeSize > n))
    return fallBack('a checkpoint covers more entries than the log has');

  const chunk = input.chunk ?? CHUNK;
  if (!Number.isSafeInteger(chunk) || chunk < 1 || (chunk & (chunk - 1)) !== 0) {
    throw new RangeError(`chunk must be a power of two: ${chunk}`);
  }
  const deep = input.deep ?? false;
  const threads = input.threads ?? defaultThreads();
  const workerFile = input.workerFile ?? defaultWorkerFile();
  const runner =
    threads > 0 && workerFile ? inWorkers(input.file, deep, threads, workerFile) : inThread(input.file, deep);

  const jobs = Math.ceil(n / chunk);
  const window = Math.max(2, threads * 2);
  const inFlight: Promise<ChunkResult>[] = [];
  let submitted = 0;
  let c = 0;
  const submit = () => {
    while (submitted < jobs && inFlight.length < window) {
      const from = submitted * chunk + 1;
      const to = Math.min(n, from + chunk - 1);
      const sizes: number[] = [];
      while (c < checkpoints.length && checkpoints[c].treeSize <= to) sizes.push(checkpoints[c++].treeSize);
      const job = runner.run({ id: submitted++, from, to, sizes });
      job.catch(() => undefined); // awaited in order below; a failure surfaces there
      inFlight.push(job);
    }
  };

  const edge = new Edge();
  const bySize = new Map(checkpoints.map((cp) => [cp.treeSize, cp]));
  let prevHash = GENESIS_HASH;
  let problem: string | undefined;
  try {
    submit();
    while (inFlight.length > 0 && problem === undefined) {
      const result = await inFlight.shift()!;
      submit();
      if (result.problem) {
        problem = `entry #${result.problem.seq}: ${result.problem.what}`;
        break;
      }
      if (result.firstPrevHash !== prevHash) {
        problem = `entry #${result.from}: link`;
        break;
      }
      for (const at of result.at) {
        const cp = bySize.get(at.size)!;
        if (edge.rootWith(at.range) !== cp.rootHash || at.head !== cp.headHash) {
          problem = `the checkpoint of tree size ${at.size}`;
          break;
        }
      }
      edge.push(result.range);
      prevHash = result.lastHash!;
    }
  } finally {
    await runner.close();
  }
  if (problem !== undefined) return fallBack(problem);

  const latest = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  return {
    ok: true,
    checked: n,
    headSeq: n === 0 ? null : n,
    headHash: n === 0 ? null : prevHash,
    entries: n,
    checkpoints: {
      total: checkpoints.length,
      matched: checkpoints.length,
      signaturesChecked: input.publicKey !== undefined,
      keyId: input.publicKey ? keyIdOf(input.publicKey) : null,
      latest,
      invalid: [],
    },
    unsigned: n - (latest?.treeSize ?? 0),
    scope: deep ? 'full' : 'chain+merkle',
  };
}
