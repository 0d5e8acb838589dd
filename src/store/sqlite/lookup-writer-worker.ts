/**
 * The lookup writer's thread (see lookup-writer.ts): its own connection to the store's file, WAL and
 * synchronous=FULL like the main one, its own group committer and log appender. It takes lookups as
 * data (their log entries), runs each as one unit (its entries rolled back together if one fails) in
 * the next group transaction, and answers each only after that transaction's COMMIT (and so its
 * fsync) has returned. The head of the log is read inside every BEGIN IMMEDIATE when another
 * connection wrote since (PRAGMA data_version), so the chain stays one chain.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { AuditEventInput, Checkpoint, TreeHead } from '../../audit/types';
import { createAudit } from './audit';
import type { ToSign } from './checkpoints';
import { createLookups } from './datasets';
import { createGroupCommitter } from './group-commit';
import { configureWriter } from './pragmas';
import { toThreadError, type ThreadError } from './thread-errors';
import { checkpointFinisher, leaveCheckpointsToThread } from './wal-checkpointer';

export interface WriterData {
  /** The store's file (migrated already). */
  file: string;
  /** The WAL checkpointer's signal (wal-checkpointer.ts), when one runs. */
  checkpointSignal?: SharedArrayBuffer;
  /** Turns at the write lock (write-turns.ts): an upload step gives way to this thread and wakes it. */
  waiting?: SharedArrayBuffer;
}

/** One lookup to write. */
export interface LookupUnit {
  id: number;
  events: AuditEventInput[];
}

/** How a unit ended: done (no error; `value` for a checkpoint step), or refused with this error. */
export interface LookupDone {
  id: number;
  value?: ToSign | Checkpoint;
  error?: ThreadError;
}

/**
 * Parent → worker: the lookups of one run of the parent's microtask queue, in order; the two halves of a
 * checkpoint (the head to sign; the signed checkpoint to store), each a unit of the next group
 * transaction, so the parent thread never waits for the write lock or an fsync to sign; or close.
 */
export type WriterRequest =
  | { kind: 'lookups'; units: LookupUnit[] }
  | { kind: 'to-sign'; id: number }
  | { kind: 'save-checkpoint'; id: number; checkpoint: Checkpoint; head: TreeHead }
  | { kind: 'close' };

/** Worker → parent. */
export type WriterMessage =
  | { kind: 'ready' }
  | { kind: 'commit'; committed: number; failed: number; headSeq: number }
  | { kind: 'done'; results: LookupDone[] }
  | { kind: 'closed' };

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lookup-writer-worker runs as a worker thread');
  const { file, checkpointSignal, waiting } = workerData as WriterData;
  const db = new Database(file, { fileMustExist: true });
  configureWriter(db);
  let finishCheckpoint = () => undefined as void;
  if (checkpointSignal) {
    leaveCheckpointsToThread(db);
    finishCheckpoint = checkpointFinisher(db, checkpointSignal);
  }
  const post = (message: WriterMessage) => port.postMessage(message);

  let headSeq = 0;
  const group = createGroupCommitter(db, {
    ...(waiting ? { waiting: new Int32Array(waiting) } : {}),
    memory: {
      save: () => audit.memory.save(),
      restore: (s) => audit.memory.restore(s),
      begin: () => audit.memory.begin(),
      beforeCommit: () => audit.memory.beforeCommit(),
      end: () => audit.memory.end(),
    },
    // Right after COMMIT returned, before any unit of it is answered: the parent reports the commit
    // (onCommit) and tells the log's listeners, in that order, before it hears of the units.
    onCommit: (info) => post({ kind: 'commit', ...info, headSeq }),
  });
  const unit = group.run.bind(group) as <T>(fn: () => T) => Promise<T>;
  const audit = createAudit(db, () => new Date(), unit);
  const appendInTx: typeof audit.appendInTx = (events) => {
    const written = audit.appendInTx(events);
    if (written.length > 0) headSeq = written[written.length - 1].seq;
    return written;
  };
  const lookups = createLookups(db, appendInTx, unit);

  // The answers of one transaction go back in one message: its units settle together, and the flush,
  // queued behind their callbacks as a microtask, runs once they all have answered, without waiting for
  // another turn of this thread's loop (more lookups/s over HTTP than with setImmediate; docs/performance.md).
  let answers: LookupDone[] = [];
  const flushAnswers = () => {
    const results = answers;
    answers = [];
    if (results.length > 0) post({ kind: 'done', results });
    // Between transactions, once this transaction's units are answered: its lookups do not wait for it.
    if (group.pending === 0) finishCheckpoint();
  };
  const answer = (done: LookupDone) => {
    if (answers.length === 0) queueMicrotask(flushAnswers);
    answers.push(done);
  };

  /** Answers `id` once `work` has committed (or failed). */
  const settle = (id: number, work: Promise<ToSign | Checkpoint | void>) => {
    work.then(
      (value) => answer(value === undefined ? { id } : { id, value }),
      (error: unknown) => {
        answer({ id, error: toThreadError(error) });
      },
    );
  };

  port.on('message', (request: WriterRequest) => {
    if (request.kind === 'close') {
      group.flushNow();
      // The answers of the last units are posted from promise callbacks: let them run first.
      setImmediate(() => {
        flushAnswers();
        db.close();
        post({ kind: 'closed' });
        port.close();
      });
      return;
    }
    if (request.kind === 'to-sign') {
      settle(
        request.id,
        unit(() => audit.checkpoints.toSign()),
      );
      return;
    }
    if (request.kind === 'save-checkpoint') {
      settle(
        request.id,
        unit(() => audit.checkpoints.save(request.checkpoint, request.head)),
      );
      return;
    }
    for (const { id, events } of request.units) settle(id, lookups.create(events));
  });
  post({ kind: 'ready' });
}

main();
