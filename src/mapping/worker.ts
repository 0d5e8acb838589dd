/**
 * The mapping worker (see parallel.ts): reads CSV chunks from the parent thread with the same reader
 * as the single-threaded path, runs each row through the adapter and validates its records; the
 * results go back in order, in batches.
 */
import { PassThrough } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerItem } from './parallel';
import { readCsv } from './readers';
import { getAdapter } from './registry';
import { adaptRow, checkOutcome } from './run';

const BATCH = 256;

async function main(): Promise<void> {
  const port = parentPort!;
  const post = (message: FromWorker) => port.postMessage(message);
  const { adapterId } = workerData as { adapterId: string };
  const adapter = getAdapter(adapterId);
  if (!adapter) throw new Error(`unknown adapter "${adapterId}"`);

  const feed = new PassThrough();
  port.on('message', (message: ToWorker) => {
    if ('chunk' in message) {
      // Acknowledged once the parser has taken it: the parent sends more only then.
      feed.write(message.chunk, () => post({ ack: true }));
    } else {
      feed.end();
    }
  });

  let batch: WorkerItem[] = [];
  let text = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch.length === 0) return;
    post({ items: JSON.stringify(batch), text });
    batch = [];
    text = '';
  };
  try {
    for await (const item of readCsv(feed)) {
      if ('malformed' in item) {
        batch.push(item);
      } else {
        const adapted = adaptRow(adapter, item.value, item.row);
        const checked = 'event' in adapted ? adapted : checkOutcome(adapted.outcome, item.row);
        if ('event' in checked) {
          batch.push({ row: item.row, event: checked.event });
        } else {
          const { records, fields, warnings } = checked.mapped;
          let jsonl = '';
          // What the command writes for each record, made here from the adapter's own objects.
          for (const record of records) jsonl += `${JSON.stringify(record)}\n`;
          batch.push({
            row: item.row,
            keys: checked.keys,
            types: records.map((r) => r.identifier.type),
            fields,
            count: records.length,
            length: jsonl.length,
            warnings: (warnings ?? []).map((w) => ({ ...w, row: item.row })),
          });
          text += jsonl;
        }
      }
      if (batch.length >= BATCH) flush();
      else if (!scheduled) {
        // Whatever is parsed when the reader waits for input goes out then.
        scheduled = true;
        setImmediate(flush);
      }
    }
    flush();
    post({ done: true });
  } catch (error) {
    flush();
    post({ error: error instanceof Error ? error.message : String(error) });
  }
  port.close();
}

void main();
