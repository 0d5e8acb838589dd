/**
 * Worker thread of the fast verifier (verify-fast.ts): its own read-only connection, one job per
 * message, one result per job, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openChunkReader, verifyChunk, type ChunkJob } from './verify-chunk';

const port = parentPort;
if (!port) throw new Error('verify-fast-worker runs as a worker thread');
const { file, deep } = workerData as { file: string; deep: boolean };
const reader = openChunkReader(file, deep);
port.postMessage('ready');
port.on('message', (job: ChunkJob | 'close') => {
  if (job === 'close') {
    reader.close();
    port.close();
    return;
  }
  port.postMessage(verifyChunk(reader, job, deep));
});
