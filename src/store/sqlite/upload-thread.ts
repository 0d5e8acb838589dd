/**
 * An upload's writer on a thread of its own (upload-thread-worker.ts): appending to the staging file,
 * sorting it and merging it into the store (dataset-staging.ts) take no time from the event loop. The
 * thread ends with the upload: after its sweep, or when it is discarded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Generation, UploadWriter } from './dataset-staging';
import { fromThreadError } from './thread-errors';
import { uploadHoldReleased } from './write-turns';
import type { UploadThreadAnswer, UploadThreadData, UploadThreadRequest } from './upload-thread-worker';

/** The compiled worker script; absent when running from TypeScript sources (ts-jest). */
const UPLOAD_WORKER_FILE = path.join(__dirname, 'upload-thread-worker.js');

export function uploadThreadAvailable(): boolean {
  return fs.existsSync(UPLOAD_WORKER_FILE);
}

type Request = UploadThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never;

export interface UploadThread extends Omit<UploadWriter, 'close'> {
  /** Stops a sweep between its steps, closes the thread's connections and ends it. */
  stop(): Promise<void>;
}

export function startUploadThread(data: UploadThreadData): UploadThread {
  const worker = new Worker(UPLOAD_WORKER_FILE, { workerData: data });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  let exited = false;
  let stopped: Promise<void> | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on('message', (answer: UploadThreadAnswer) => {
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (!answer.error) return waiting.resolve(answer.value);
    waiting.reject(fromThreadError(answer.error));
  });
  worker.on('error', (error) => failAll(new Error(`the upload thread failed: ${error.name}`)));
  const ended = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      uploadHoldReleased(new Int32Array(data.waiting));
      failAll(new Error('the upload thread has ended'));
      resolve();
    }),
  );
  const ask = <T>(request: Request): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id } as UploadThreadRequest);
    });
  };
  return {
    begin: (replace) => ask<Generation>({ kind: 'begin', replace }),
    append: (records) => ask<void>({ kind: 'append', records }),
    merge: (generation, uploadId) => ask<number>({ kind: 'merge', generation, uploadId }),
    sweep: (added, replace) => ask<void>({ kind: 'sweep', added, replace }),
    discard: () => ask<void>({ kind: 'discard' }),
    stop() {
      return (stopped ??= (async () => {
        if (!exited && !failure) await ask<void>({ kind: 'stop' }).catch(() => undefined);
        await ended;
      })());
    },
  };
}
