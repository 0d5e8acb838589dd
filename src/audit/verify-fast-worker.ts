/**
 * Worker thread of the fast verifier (verify-fast.ts): its own job reader of the log (opened from the
 * log's source by the store's openChunkReader: a read-only connection of its own), one job per message,
 * one result per job, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openChunkReader } from '../store/log-reader';
import type { LogSource } from '../store/port';
import { verifyChunk, type ChunkJob } from './verify-chunk';

const port = parentPort;
if (!port) throw new Error('verify-fast-worker runs as a worker thread');
const { source, deep } = workerData as { source: LogSource; deep: boolean };
const reader = openChunkReader(source, deep);
port.postMessage('ready');
port.on('message', (job: ChunkJob | 'close') => {
  if (job === 'close') {
    reader.close();
    port.close();
    return;
  }
  port.postMessage(verifyChunk(reader, job, deep));
});
