/**
 * Turns at the store's write lock between connections on different threads: the group commits (the
 * main thread's and the lookup writer's) and an upload's thread. In shared memory, so that an upload
 * step hears at once that a writer waits (and commits early), and the waiting writer hears at once
 * that the step has committed: SQLite's busy handler would sleep 1, 2, 5, 10 … ms between its tries.
 */

/** Slot 0: writers waiting to begin a transaction. Slot 1: 1 while an upload step holds the lock. */
export type WriteTurns = Int32Array;

const WAITING = 0;
const UPLOAD_HOLDS = 1;
/** Longest a writer waits to be woken by an upload step before leaving it to SQLite's busy handler. */
const UPLOAD_STEP_WAIT_MS = 500;

export function createWriteTurns(): WriteTurns {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

export function othersWaiting(turns: WriteTurns): boolean {
  return Atomics.load(turns, WAITING) > 0;
}

/**
 * Begins a transaction as a writer that waits its turn: counted as waiting meanwhile, and woken as
 * soon as an upload step that holds the lock has ended.
 */
export function beginInTurn(turns: WriteTurns | undefined, begin: () => void): void {
  if (!turns) return begin();
  Atomics.add(turns, WAITING, 1);
  try {
    Atomics.wait(turns, UPLOAD_HOLDS, 1, UPLOAD_STEP_WAIT_MS); // returns at once when no step holds it
    begin();
  } finally {
    Atomics.sub(turns, WAITING, 1);
  }
}

/** Clears the upload's mark (its thread ended, perhaps in a step) and wakes who waits for it. */
export function uploadHoldReleased(turns: WriteTurns): void {
  Atomics.store(turns, UPLOAD_HOLDS, 0);
  Atomics.notify(turns, UPLOAD_HOLDS);
}

/** An upload step's transaction: marked as holding the lock from its begin to its end. */
export function uploadStep<T>(turns: WriteTurns, begin: () => void, work: () => T): T {
  begin();
  Atomics.store(turns, UPLOAD_HOLDS, 1);
  try {
    return work();
  } finally {
    uploadHoldReleased(turns);
  }
}
