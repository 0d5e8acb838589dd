/**
 * An upload's thread (upload-thread.ts): its own connection to the store's file and the upload's
 * staging file, so that appending, sorting and merging an upload never run on the event loop. Between
 * its transactions it waits while another writer waits for the write lock (group-commit.ts `waiting`).
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { DatasetRecord } from '../../datasets/types';
import { runInBackground } from '../../runtime/thread-priority';
import { createUploadWriter, type DatasetScope, type Generation } from './dataset-staging';
import { configureWriter } from './pragmas';
import { toThreadError, type ThreadError } from './thread-errors';
import { othersWaiting, type WriteTurns } from './write-turns';

export interface UploadThreadData {
  file: string;
  stagingFile: string;
  scope: DatasetScope;
  /** Turns at the write lock (write-turns.ts). */
  waiting: SharedArrayBuffer;
  budgetMs: number;
}

export type UploadThreadRequest = { id: number } & (
  | { kind: 'begin'; replace: boolean }
  | { kind: 'append'; records: DatasetRecord[] }
  | { kind: 'merge'; generation: Generation; uploadId: string }
  | { kind: 'sweep'; added: number; replace: boolean }
  | { kind: 'discard' }
  | { kind: 'stop' }
);

export interface UploadThreadAnswer {
  id: number;
  value?: Generation | number;
  error?: ThreadError;
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('upload-thread-worker runs as a worker thread');
  const data = workerData as UploadThreadData;
  runInBackground(); // requests first
  const db = new Database(data.file, { fileMustExist: true });
  configureWriter(db);
  const turns: WriteTurns = new Int32Array(data.waiting);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let stopping = false;
  const writer = createUploadWriter(db, data.scope, {
    stagingFile: data.stagingFile,
    budgetMs: data.budgetMs,
    othersWaiting: () => othersWaiting(turns),
    turns,
    pause: async () => {
      // Until the writers that wait have had their turn (a millisecond at a time); then a turn of this
      // thread's loop, so that a stop is heard.
      while (othersWaiting(turns)) Atomics.wait(nap, 0, 0, 1);
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  const run = async (request: UploadThreadRequest): Promise<Generation | number | undefined> => {
    switch (request.kind) {
      case 'begin':
        return writer.begin(request.replace);
      case 'append':
        return void (await writer.append(request.records));
      case 'merge':
        return writer.merge(request.generation, request.uploadId);
      case 'sweep':
        return void (await writer.sweep(request.added, request.replace, () => stopping));
      case 'discard':
        return void (await writer.discard());
      case 'stop':
        stopping = true;
        return undefined;
    }
  };
  // One request at a time, in order; `stop` is read at once (a sweep looks at it between steps).
  let queue = Promise.resolve();
  port.on('message', (request: UploadThreadRequest) => {
    if (request.kind === 'stop') stopping = true;
    queue = queue.then(async () => {
      try {
        const value = await run(request);
        port.postMessage({ id: request.id, value } satisfies UploadThreadAnswer);
      } catch (error) {
        port.postMessage({ id: request.id, error: toThreadError(error) } satisfies UploadThreadAnswer);
      }
      if (request.kind === 'stop') {
        writer.close();
        db.close();
        if (data.stagingFile !== ':memory:') fs.rmSync(data.stagingFile, { force: true });
        port.close();
      }
    });
  });
}

main();
