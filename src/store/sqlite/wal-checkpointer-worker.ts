/**
 * The WAL checkpointer's thread (see wal-checkpointer.ts): a connection of its own that, every
 * `everyMs`, copies the WAL's committed pages into the database file (PASSIVE: it takes no write
 * lock, so commits go on meanwhile), then raises the shared flag that tells the writer the bulk is
 * done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Parent → worker. */
export type CheckpointerRequest = { kind: 'close' };

/** Worker → parent: after each round that copied pages, how many such rounds so far. */
export type CheckpointerMessage = { kind: 'copied'; rounds: number };

export interface CheckpointerData {
  file: string;
  everyMs: number;
  /** Int32Array over it: [0] is set to 1 after each round that copied pages. */
  signal: SharedArrayBuffer;
}

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/** Passes in one round at most, so that a writer that never pauses does not keep this thread busy. */
const MAX_PASSES = 3;

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('wal-checkpointer-worker runs as a worker thread');
  const { file, everyMs, signal } = workerData as CheckpointerData;
  const flag = new Int32Array(signal);
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  // FULL: the WAL is synced before its pages are copied, the database file after.
  db.pragma('synchronous = FULL');
  const checkpoint = db.prepare<[], CheckpointResult>('PRAGMA wal_checkpoint(PASSIVE)');
  let rounds = 0;
  /** The last frame of the WAL as the last pass saw it. */
  let seen = 0;

  /**
   * A pass copies up to the WAL's last frame as of its start (`log`); another pass follows while
   * the one before found new frames, so the writer is left with as few as possible to copy.
   */
  const round = () => {
    let copied = false;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const result = checkpoint.get();
      // busy: another connection is checkpointing (a writer's safety net); it finishes the job.
      if (!result || result.busy !== 0 || result.log === seen) break;
      // The WAL started again since the last pass (log went down) or grew: either way, pages copied.
      seen = result.log;
      if (result.log === 0) break;
      copied = true;
    }
    if (!copied) return;
    Atomics.store(flag, 0, 1);
    port.postMessage({ kind: 'copied', rounds: ++rounds } satisfies CheckpointerMessage);
  };

  const timer = setInterval(round, everyMs);
  port.on('message', (request: CheckpointerRequest) => {
    if (request.kind !== 'close') return;
    clearInterval(timer);
    db.close();
    port.close();
  });
}

main();
