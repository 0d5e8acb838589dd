/**
 * The mapping worker (see parallel.ts): runs each CSV row the parent thread sends through the adapter,
 * validates its records and writes them as JSON Lines; the results go back in order, in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerItem } from './parallel';
import type { SourceItem } from './readers';
import { getAdapter } from './registry';
import { adaptRow, checkOutcome } from './run';

const BATCH = 256;

function main(): void {
  const port = parentPort!;
  const post = (message: FromWorker) => port.postMessage(message);
  const { adapterId } = workerData as { adapterId: string };
  const adapter = getAdapter(adapterId);
  if (!adapter) throw new Error(`unknown adapter "${adapterId}"`);

  let batch: WorkerItem[] = [];
  let text = '';
  const flush = () => {
    if (batch.length === 0) return;
    post({ items: JSON.stringify(batch), text });
    batch = [];
    text = '';
  };
  const mapItem = (item: SourceItem) => {
    if ('malformed' in item) {
      batch.push(item);
      return;
    }
    const adapted = adaptRow(adapter, item.value, item.row);
    const checked = 'event' in adapted ? adapted : checkOutcome(adapted.outcome, item.row);
    if ('event' in checked) {
      batch.push({ row: item.row, event: checked.event });
      return;
    }
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
  };

  port.on('message', (message: ToWorker) => {
    try {
      if ('rows' in message) {
        for (const item of JSON.parse(message.rows) as SourceItem[]) {
          mapItem(item);
          if (batch.length >= BATCH) flush();
        }
        flush();
        post({ ack: true });
      } else {
        flush();
        post({ done: true });
        port.close();
      }
    } catch (error) {
      flush();
      post({ error: error instanceof Error ? error.message : String(error) });
      port.close();
    }
  });
}

main();
