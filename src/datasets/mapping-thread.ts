/**
 * An upload's mapping on a thread of its own (mapping-thread-worker.ts), run below the requests, so
 * that parsing, adapting, validating and hashing a large upload take no time from the event loop. This
 * side reads the request's stream only when the thread asks for more, and hands each batch of records
 * to the store before the thread maps on: the file is read no faster than it is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { InputFormat } from '../mapping/types';
import type { MappedUpload, UploadScope } from './map-upload';
import type { DatasetRecord } from './types';

/** The compiled worker script; absent when running from TypeScript sources (ts-jest). */
const MAPPING_WORKER_FILE = path.join(__dirname, 'mapping-thread-worker.js');

export function mappingThreadAvailable(): boolean {
  return fs.existsSync(MAPPING_WORKER_FILE);
}

/** What the thread is given (the adapter by id: functions do not cross threads). */
export interface MappingThreadData {
  adapterId: string;
  format: InputFormat;
  allowedTypes: string[];
  scope: UploadScope;
  refKey: Uint8Array;
}

export type ToMappingThread = { kind: 'chunk'; bytes: Uint8Array } | { kind: 'end' } | { kind: 'written' };

export type FromMappingThread =
  | { kind: 'more' }
  | { kind: 'batch'; records: DatasetRecord[] }
  | { kind: 'done'; mapped: MappedUpload }
  | { kind: 'failed'; message: string };

/**
 * Maps `input` on a thread; resolves with what mapUploadStream would. Rejects with the input's own
 * error when the stream fails (a body too large, a client gone), with `write`'s when the store refuses;
 * either way only once the thread has ended.
 */
export function mapOnThread(
  data: MappingThreadData,
  input: Readable,
  write: (records: DatasetRecord[]) => Promise<void>,
): Promise<MappedUpload> {
  const worker = new Worker(MAPPING_WORKER_FILE, { workerData: data });
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  return new Promise<MappedUpload>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      // Settled once the thread has gone: nothing of an upload maps on after it has ended.
      void worker.terminate().then(outcome, outcome);
    };
    const fail = (error: unknown) =>
      settle(() => {
        void chunks.return?.()?.catch(() => undefined);
        reject(error);
      });
    const send = (message: ToMappingThread, transfer?: ArrayBuffer[]) => {
      if (!settled) worker.postMessage(message, transfer);
    };
    worker.on('message', (message: FromMappingThread) => {
      switch (message.kind) {
        case 'more':
          chunks.next().then(({ done, value }) => {
            if (done) return send({ kind: 'end' });
            // A copy: the stream's buffers may share a pool, which must not move to the thread.
            const bytes = new Uint8Array(typeof value === 'string' ? Buffer.from(value) : value);
            send({ kind: 'chunk', bytes }, [bytes.buffer]);
          }, fail);
          return;
        case 'batch':
          write(message.records).then(() => send({ kind: 'written' }), fail);
          return;
        case 'done':
          return settle(() => resolve(message.mapped));
        case 'failed':
          return fail(new Error(`the mapping thread failed: ${message.message}`));
      }
    });
    worker.on('error', (error) => fail(new Error(`the mapping thread failed: ${error.name}`)));
    worker.on('exit', () => fail(new Error('the mapping thread ended before the upload was mapped')));
  });
}
