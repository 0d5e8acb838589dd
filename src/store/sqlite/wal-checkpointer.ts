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
 * as a safety net, at WAL_SAFETY_PAGES, for when this thread falls behind; if the thread fails, the
 * writers go back to SQLite's own checkpoints (the shared signal says so) and `onFailed` is told.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CheckpointerData, CheckpointerMessage, CheckpointerRequest } from './wal-checkpointer-worker';

/** The writers' autocheckpoint while the checkpointer runs (pages); SQLite's default otherwise. */
export const WAL_SAFETY_PAGES = 10_000;
export const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

/** The shared signal's words: the thread copied since the writer last looked; the thread failed. */
const COPIED = 0;
const FAILED = 1;
/** How often the checkpointer copies: at ~40,000 pages a second of lookups, ~1,000 pages a time. */
export const CHECKPOINT_EVERY_MS = 25;

export interface WalCheckpointer {
  /** Shared with the writer (checkpointFinisher): the thread copied since; the thread failed. */
  signal: SharedArrayBuffer;
  /** Stops the thread (its connection closed). */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  file: string;
  everyMs?: number;
  /** After each round that copied pages (tests). */
  onCopied?: (rounds: number) => void;
  /** The thread failed (not closed): the writers are back on SQLite's own checkpoints. */
  onFailed?: (error: Error) => void;
}

/** The compiled worker script (there is one wherever the lookup writer's is: the compiled build). */
const WORKER_FILE = path.join(__dirname, 'wal-checkpointer-worker.js');

/** Sets a writing connection's own autocheckpoint to the safety net (or back, `false`). */
export function leaveCheckpointsToThread(db: Database.Database, leave = true): void {
  // PRAGMA takes no bound parameters; the value is a constant of this file.
  db.pragma(`wal_autocheckpoint = ${leave ? WAL_SAFETY_PAGES : SQLITE_AUTOCHECKPOINT_PAGES}`);
}

/**
 * For the writer: copies what the thread left, if it has copied since the last call. Call it between
 * transactions; then the writer's next transaction starts the WAL again (when no reader still reads
 * an older snapshot of it).
 */
export function checkpointFinisher(db: Database.Database, signal: SharedArrayBuffer): () => void {
  const flag = new Int32Array(signal);
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  let onThread = true;
  return () => {
    if (Atomics.exchange(flag, COPIED, 0) === 1) checkpoint.get();
    if (onThread && Atomics.load(flag, FAILED) === 1) {
      onThread = false;
      leaveCheckpointsToThread(db, false);
    }
  };
}

export function startWalCheckpointer(opts: WalCheckpointerOptions): WalCheckpointer {
  const signal = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const workerData: CheckpointerData = {
    file: opts.file,
    everyMs: opts.everyMs ?? CHECKPOINT_EVERY_MS,
    signal,
  };
  const worker = new Worker(WORKER_FILE, { workerData });
  let exited = false;
  let closing: Promise<void> | undefined;
  let failure: Error | undefined;
  worker.on('message', (message: CheckpointerMessage) => opts.onCopied?.(message.rounds));
  worker.on('error', (error: unknown) => (failure ??= asError(error)));
  const gone = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      exited = true;
      if (!closing || failure) {
        Atomics.store(new Int32Array(signal), FAILED, 1);
        opts.onFailed?.(failure ?? new Error(`the WAL checkpointer stopped (exit code ${code})`));
      }
      resolve();
    }),
  );
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

/** A thread's error as it arrives: an error of a class of its own (SqliteError) comes as a bare object. */
function asError(error: unknown): Error {
  const e = error as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  const message =
    typeof e?.message === 'string'
      ? e.message
      : `the WAL checkpointer failed (${String(e?.code ?? 'unknown')})`;
  const out = new Error(message);
  if (typeof e?.name === 'string') out.name = e.name;
  return out;
}
