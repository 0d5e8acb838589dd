/**
 * Group commit: every write of the store (a state change and its audit entries: a "unit") is queued,
 * and the queue is flushed in ONE transaction with ONE fsync (WAL, synchronous=FULL). A unit that
 * throws is rolled back alone and rejects only its own promise: the batch runs again without it, each
 * unit then under its own SAVEPOINT (the first pass has none: failures are rare, statements are
 * not). No promise settles before the transaction that holds its unit has ended: a resolved write
 * is on disk. Units run in the order they were queued, so audit entries keep the order of the calls.
 *
 * A flush is scheduled with setImmediate when the queue goes from empty to non-empty: the writes that
 * arrive while the event loop handles one round of I/O (and while the previous flush was syncing)
 * share the next transaction. An idle store adds no delay beyond that one turn of the loop.
 */
import type Database from 'better-sqlite3';
import { beginInTurn, type WriteTurns } from './write-turns';

/** What a flushed transaction held; given to `onCommit` right after COMMIT returned. */
export interface CommitInfo {
  /** Units in the transaction that succeeded (and are now durable). */
  committed: number;
  /** Units that failed and were rolled back alone (their promises reject). */
  failed: number;
}

export interface GroupCommitOptions {
  /** Most units in one transaction (default 1,000); more wait for the next flush, scheduled at once. */
  maxBatch?: number;
  /** Called after each COMMIT, before any promise of that transaction settles (tests, benchmarks). */
  onCommit?: (info: CommitInfo) => void;
  /**
   * State kept in memory beside the database (the audit head, the Merkle edge, the statistics' pending
   * counts): saved at the start of each transaction (and of each unit run under a savepoint) and
   * restored when that is rolled back. `beforeCommit` writes what waited for the end of the batch, in
   * its transaction (if it throws, the transaction fails as a failed COMMIT would); `end` follows every
   * transaction, committed or rolled back.
   */
  memory?: {
    save(): unknown;
    restore(saved: unknown): void;
    begin?(): void;
    beforeCommit?(): void;
    end?(): void;
  };
  /**
   * Turns at the write lock (write-turns.ts): this connection is counted while it waits to begin, so
   * that an upload step on another connection commits early, and is woken when that step has ended.
   */
  waiting?: WriteTurns;
}

/** Runs a unit of work (a change and its audit entries) in the next group transaction. */
export type RunUnit = <T>(unit: () => T) => Promise<T>;

export interface GroupCommitter {
  /** Runs `unit` inside the next group transaction; resolves with its result once that has committed. */
  run<T>(unit: () => T): Promise<T>;
  /** Units queued and not yet flushed. */
  readonly pending: number;
  /** Flushes what is queued now, synchronously (before closing the database). */
  flushNow(): void;
}

interface Unit {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Set once the unit has run (value or error); undefined while it still has to run. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

const NO_MEMORY: NonNullable<GroupCommitOptions['memory']> = {
  save: () => undefined,
  restore: () => undefined,
};

export function createGroupCommitter(
  db: Database.Database,
  options: GroupCommitOptions = {},
): GroupCommitter {
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 1000));
  const memory = options.memory ?? NO_MEMORY;
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT fsg_unit');
  const release = db.prepare('RELEASE fsg_unit');
  const rollbackTo = db.prepare('ROLLBACK TO fsg_unit');

  let queue: Unit[] = [];
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  };

  /**
   * Runs one unit; false when it failed and the whole transaction must be rolled back and the batch
   * run again (always without a savepoint; with one, only when SQLite itself ended the transaction).
   */
  const runUnit = (unit: Unit, withSavepoint: boolean): boolean => {
    if (!withSavepoint) {
      try {
        unit.outcome = { ok: true, value: unit.fn() };
        return true;
      } catch (error) {
        unit.outcome = { ok: false, error };
        return false;
      }
    }
    const saved = memory.save();
    savepoint.run();
    try {
      unit.outcome = { ok: true, value: unit.fn() };
      release.run();
      return true;
    } catch (error) {
      unit.outcome = { ok: false, error };
      memory.restore(saved);
      // Some errors (disk full, I/O, a RAISE(ROLLBACK)) end the transaction themselves.
      if (!db.inTransaction) return false;
      rollbackTo.run();
      release.run();
      return true;
    }
  };

  /**
   * One transaction over `batch`. Units first run without savepoints (two statements fewer per
   * unit; units rarely fail); when one fails, the transaction is rolled back, that unit stays failed
   * and the batch runs again, now each unit under its own savepoint so a further failure costs only
   * itself. When SQLite aborts the transaction, the failing unit is dropped and the rest re-run.
   */
  const transact = (batch: Unit[]): void => {
    let withSavepoints = false;
    for (;;) {
      try {
        beginInTurn(options.waiting, () => begin.run());
        memory.begin?.();
      } catch (error) {
        if (db.inTransaction) rollback.run();
        memory.end?.();
        for (const unit of batch) unit.outcome ??= { ok: false, error };
        return;
      }
      const saved = memory.save();
      let aborted = false;
      for (const unit of batch) {
        if (unit.outcome && !unit.outcome.ok) continue; // failed in an earlier pass: stays failed
        if (!runUnit(unit, withSavepoints)) {
          aborted = true;
          break;
        }
      }
      if (aborted) {
        // Everything before the failing unit is rolled back with it: run those again.
        if (db.inTransaction) rollback.run();
        memory.restore(saved);
        memory.end?.();
        for (const unit of batch) if (unit.outcome?.ok) unit.outcome = undefined;
        withSavepoints = true;
        continue;
      }
      try {
        memory.beforeCommit?.();
        commit.run();
      } catch (error) {
        if (db.inTransaction) rollback.run();
        memory.restore(saved);
        memory.end?.();
        for (const unit of batch) unit.outcome = { ok: false, error };
        return;
      }
      memory.end?.();
      const failed = batch.filter((u) => !u.outcome?.ok).length;
      options.onCommit?.({ committed: batch.length - failed, failed });
      return;
    }
  };

  const flush = (): void => {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      if (!db.open) {
        const error = new Error('the store is closed');
        for (const unit of batch) unit.reject(error);
        continue;
      }
      transact(batch);
      for (const unit of batch) {
        const outcome = unit.outcome!;
        if (outcome.ok) unit.resolve(outcome.value);
        else unit.reject(outcome.error);
      }
      // Let the callers of this batch go on (and the loop take new I/O) before the next one.
      if (queue.length > 0) {
        schedule();
        return;
      }
    }
  };

  return {
    run<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    get pending() {
      return queue.length;
    },
    flushNow() {
      while (queue.length > 0) flush();
    },
  };
}
