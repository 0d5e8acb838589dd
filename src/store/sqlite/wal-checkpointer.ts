/**
 * WAL checkpoints off the commit path. By default SQLite copies the WAL into the database inside the
 * COMMIT that takes it past wal_autocheckpoint (1,000 pages), and that COMMIT waits for the copy and
 * an fsync of the database file. Measured on the lookup writer under load: one commit in ~25 took
 * 2–4 ms instead of ~0.3, a third of all its commit time, and every lookup of that transaction (and
 * those queued behind it) waited with it.
 *
 * Here a thread of its own (wal-checkpointer-worker.ts) copies the bulk beside the commits. It cannot
 * finish the job alone: the WAL starts again from its beginning (instead of growing) only when a
 * writer begins a transaction with every frame copied, and a busy writer always appends a few more
 * while the thread copies. So the thread raises a shared flag after each round, and the lookup writer,
 * between its transactions, copies the few frames left itself (finishCheckpoint): measured, that is
 * a fraction of a millisecond where the whole copy took 2–4 ms. The writers' own autocheckpoint stays
 * as a safety net, at WAL_SAFETY_PAGES, for when this thread falls behind or is gone.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CheckpointerData, CheckpointerMessage, CheckpointerRequest } from './wal-checkpointer-worker';

/** The writers' autocheckpoint while the checkpointer runs (pages; SQLite's default is 1,000). */
export const WAL_SAFETY_PAGES = 10_000;
/** How often the checkpointer copies: at ~40,000 pages a second of lookups, ~1,000 pages a time. */
export const CHECKPOINT_EVERY_MS = 25;

export interface WalCheckpointer {
  /** Shared with the writer (finishCheckpoint): set after each round of the thread that copied pages. */
  signal: SharedArrayBuffer;
  /** Stops the thread (its connection closed). */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  file: string;
  everyMs?: number;
  /** After each round that copied pages (tests). */
  onCopied?: (rounds: number) => void;
}

/** The compiled worker script (there is one wherever the lookup writer's is: the compiled build). */
const WORKER_FILE = path.join(__dirname, 'wal-checkpointer-worker.js');

/** Sets a writing connection's own autocheckpoint to the safety net. */
export function leaveCheckpointsToThread(db: Database.Database): void {
  // PRAGMA takes no bound parameters; the value is a constant of this file.
  db.pragma(`wal_autocheckpoint = ${WAL_SAFETY_PAGES}`);
}

/**
 * For the writer: copies what the thread left, if it has copied since the last call. Call it between
 * transactions; then the writer's next transaction starts the WAL again (when no reader still reads
 * an older snapshot of it).
 */
export function checkpointFinisher(db: Database.Database, signal: SharedArrayBuffer): () => void {
  const flag = new Int32Array(signal);
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  return () => {
    if (Atomics.exchange(flag, 0, 0) === 1) checkpoint.get();
  };
}

export function startWalCheckpointer(opts: WalCheckpointerOptions): WalCheckpointer {
  const signal = new SharedArrayBuffer(4);
  const workerData: CheckpointerData = {
    file: opts.file,
    everyMs: opts.everyMs ?? CHECKPOINT_EVERY_MS,
    signal,
  };
  const worker = new Worker(WORKER_FILE, { workerData });
  let exited = false;
  worker.on('message', (message: CheckpointerMessage) => opts.onCopied?.(message.rounds));
  // A failed checkpointer only leaves the writers' safety net to do the copying.
  worker.on('error', () => undefined);
  const gone = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    signal,
    close() {
      return (closing ??= (async () => {
        if (!exited) worker.postMessage({ kind: 'close' } satisfies CheckpointerRequest);
        await gone;
      })());
    },
  };
}
