/**
 * Hit/no-hit lookups written from a worker thread. A lookup's write (its log entries, one unit) is
 * the hot write of the gateway, and its COMMIT waits for an fsync: with better-sqlite3 that wait
 * blocked the event loop, so no request could be parsed, verified or decided meanwhile. Here a worker
 * thread (lookup-writer-worker.ts) holds a second writing connection with its own group committer:
 * the main thread sends the lookup as data and goes on; the worker batches, commits (WAL,
 * synchronous=FULL: SQLite makes a commit visible to readers only after its fsync) and answers. A
 * lookup's promise resolves only after the transaction holding it has committed, as before.
 *
 * Every other write stays on the main connection. The two writers take turns through SQLite's write
 * lock (BEGIN IMMEDIATE, busy_timeout), and each reads the head of the log inside its transaction
 * whenever the other one wrote (PRAGMA data_version), so the log remains one hash chain and one
 * Merkle tree, in commit order. Writes queued on the two connections at the same time may commit in
 * either order; a write that was acknowledged before another was asked for always comes first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditEventInput, Checkpoint, TreeHead } from '../../audit/types';
import type { ToSign } from './checkpoints';
import type { CommitInfo } from './group-commit';
import { fromThreadError } from './thread-errors';
import type {
  LookupDone,
  LookupUnit,
  WriterData,
  WriterMessage,
  WriterRequest,
} from './lookup-writer-worker';

export interface LookupWriter {
  create(events: AuditEventInput[]): Promise<void>;
  /**
   * A checkpoint made through the worker: the head read and the signed checkpoint stored in its group
   * transactions, `sign` run here. This thread never takes the write lock or waits for an fsync for
   * it (as a checkpoint on the main connection did, 4–9 ms at a time while lookups were committing).
   */
  checkpoint(sign: (head: TreeHead) => Checkpoint): Promise<Checkpoint | undefined>;
  /** Commits what was sent, closes the worker's connection and ends the thread. */
  close(): Promise<void>;
  /** Writes sent to the thread (or about to be) and not answered yet. */
  readonly pending: number;
}

export interface LookupWriterOptions {
  /** The store's file (migrated already). */
  file: string;
  /** After each of the worker's commits, before any of its lookups is answered. */
  onCommit?: (info: CommitInfo) => void;
  /** After each of the worker's commits that appended entries: the new head. */
  onAppend?: (headSeq: number) => void;
  /** A WAL checkpointer thread runs (wal-checkpointer.ts): its signal, for the worker to finish its copies. */
  checkpointSignal?: SharedArrayBuffer;
  /** Turns at the write lock (write-turns.ts), shared with the worker. */
  waiting?: Int32Array;
}

/** The compiled worker script; absent when running from TypeScript sources (ts-jest). */
export const LOOKUP_WORKER_FILE = path.join(__dirname, 'lookup-writer-worker.js');

/** Whether a lookup writer can be started here (compiled build). */
export function lookupWriterAvailable(): boolean {
  return fs.existsSync(LOOKUP_WORKER_FILE);
}

/**
 * Starts the worker. Lookups sent before its connection is open wait in the channel; if it cannot
 * start, they and every later one are refused (the store's other writes are not affected).
 */
export function startLookupWriter(opts: LookupWriterOptions): LookupWriter {
  const worker = new Worker(LOOKUP_WORKER_FILE, {
    workerData: {
      file: opts.file,
      checkpointSignal: opts.checkpointSignal,
      waiting: opts.waiting?.buffer as SharedArrayBuffer | undefined,
    } satisfies WriterData,
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let lastHead = 0;
  let exited = false;

  const settle = (result: LookupDone) => {
    const waiting = pending.get(result.id);
    if (!waiting) return;
    pending.delete(result.id);
    if (!result.error) return waiting.resolve(result.value);
    waiting.reject(fromThreadError(result.error));
  };

  // The lookups asked for in one run of the microtask queue (a request's, mostly) go to the worker in
  // one message as soon as it ends, not at the end of the event loop's turn: held to the end of the
  // turn, the first request of ten waited for the other nine to be decided while the writer sat idle,
  // then all ten committed together and were answered together, in lockstep (fewer lookups/s over
  // HTTP; docs/performance.md). Sent early, the writer commits what has come while the rest are decided.
  let outbox: LookupUnit[] = [];
  const send = () => {
    const units = outbox;
    outbox = [];
    if (units.length > 0 && !exited) worker.postMessage({ kind: 'lookups', units } satisfies WriterRequest);
  };

  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };

  worker.on('message', (message: WriterMessage) => {
    switch (message.kind) {
      case 'ready':
        break;
      case 'commit':
        opts.onCommit?.({ committed: message.committed, failed: message.failed });
        if (message.headSeq > lastHead) {
          lastHead = message.headSeq;
          opts.onAppend?.(message.headSeq);
        }
        break;
      case 'done':
        for (const result of message.results) settle(result);
        break;
      case 'closed':
        failAll(new Error('the store is closed'));
        break;
    }
  });
  worker.on('error', (error) => failAll(new Error(`the lookup writer failed: ${error.name}`)));
  worker.once('exit', () => {
    exited = true;
    failAll(new Error('the store is closed'));
  });

  /** A promise of the answer to `id`, which `post` sends; refused while the writer fails or closes. */
  const answerTo = <T>(post: (id: number) => void): Promise<T> => {
    if (failure || closing) return Promise.reject(failure ?? new Error('the store is closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      post(id);
    });
  };

  /** A request of its own (not batched with the lookups), answered with its value. */
  const ask = <T>(request: (id: number) => WriterRequest): Promise<T> =>
    answerTo<T>((id) => {
      send(); // the lookups asked for before it go first
      worker.postMessage(request(id));
    });

  return {
    create(events) {
      return answerTo<void>((id) => {
        if (outbox.length === 0) process.nextTick(send);
        outbox.push({ id, events });
      });
    },
    async checkpoint(sign) {
      const what = await ask<ToSign>((id) => ({ kind: 'to-sign', id }));
      if (!('head' in what)) return what.covered;
      const head = what.head;
      return ask<Checkpoint>((id) => ({ kind: 'save-checkpoint', id, checkpoint: sign(head), head }));
    },
    close() {
      return (closing ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.once('exit', () => resolve());
        send(); // what was asked for before close() goes first
        if (failure) {
          void worker.terminate();
          return;
        }
        const request: WriterRequest = { kind: 'close' };
        worker.postMessage(request);
      }));
    },
    get pending() {
      return pending.size;
    },
  };
}
