/**
 * An upload's mapping thread (mapping-thread.ts): the same mapping as on the event loop
 * (map-upload.ts), its input fed chunk by chunk by the main thread when asked for, each batch of
 * records handed back and written before the next is made.
 */
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { getAdapter } from '../mapping';
import { runInBackground } from '../runtime/thread-priority';
import { mapUploadStream } from './map-upload';
import type { FromMappingThread, MappingThreadData, ToMappingThread } from './mapping-thread';
import type { DatasetRecord } from './types';

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('mapping-thread-worker runs as a worker thread');
  const data = workerData as MappingThreadData;
  runInBackground(); // requests first
  const tell = (message: FromMappingThread) => port.postMessage(message);
  const input = new Readable({ read: () => tell({ kind: 'more' }) });
  let written: (() => void) | undefined;
  port.on('message', (message: ToMappingThread) => {
    if (message.kind === 'chunk')
      input.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length));
    else if (message.kind === 'end') input.push(null);
    else {
      const resume = written;
      written = undefined;
      resume?.();
    }
  });
  const adapter = getAdapter(data.adapterId);
  if (!adapter) return tell({ kind: 'failed', message: `no adapter "${data.adapterId}"` });
  const mapping = {
    adapter,
    format: data.format,
    allowedTypes: new Set(data.allowedTypes),
    scope: data.scope,
    refKey: Buffer.from(data.refKey),
  };
  const write = (records: DatasetRecord[]) =>
    new Promise<void>((resolve) => {
      written = resolve;
      tell({ kind: 'batch', records });
    });
  mapUploadStream(mapping, input, write).then(
    (mapped) => tell({ kind: 'done', mapped }),
    (error: unknown) => tell({ kind: 'failed', message: error instanceof Error ? error.name : 'unknown' }),
  );
}

main();
