/**
 * The mapping worker (see parallel.ts): runs each CSV row the parent thread sends through the adapter,
 * validates its records and writes them as JSON Lines; the results go back in order, in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './parallel';
import type { SourceItem } from './readers';
import { getAdapter } from './registry';
import { ResultBatchWriter, transferablesOfResults } from './result-batch';
import { decodeRows } from './row-batch';
import { adaptRow, checkOutcome } from './run';

const BATCH = 256;
/** First size of a batch's JSON Lines buffer (it grows when a batch needs more). */
const INITIAL_BYTES = 512 * 1024;

function main(): void {
  const port = parentPort!;
  const { adapterId } = workerData as { adapterId: string };
  const adapter = getAdapter(adapterId);
  if (!adapter) throw new Error(`unknown adapter "${adapterId}"`);

  const batch = new ResultBatchWriter();
  // The batch's JSON Lines as UTF-8, written straight into a buffer that is then moved (not copied)
  // to the parent thread, which writes it out as it is: no string crosses the threads, and the UTF-8
  // encoding is done here rather than on the busier parent thread.
  let bytes = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  let size = 0;
  const reserve = (chars: number) => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const needed = size + 3 * chars;
    if (needed <= bytes.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(needed, 2 * bytes.length));
    bytes.copy(bigger, 0, 0, size);
    bytes = bigger;
  };
  const flush = () => {
    if (batch.length === 0) return;
    const results = batch.take();
    const message: FromWorker = { results, bytes: bytes.buffer, size };
    port.postMessage(message, [bytes.buffer, ...transferablesOfResults(results)]);
    bytes = Buffer.allocUnsafeSlow(bytes.length);
    size = 0;
  };
  const mapItem = (item: SourceItem) => {
    if ('malformed' in item) {
      batch.add(item);
      return;
    }
    const adapted = adaptRow(adapter, item.value, item.row);
    const checked = 'event' in adapted ? adapted : checkOutcome(adapted.outcome, item.row);
    if ('event' in checked) {
      batch.add({ row: item.row, event: checked.event });
      return;
    }
    const { records, fields, warnings } = checked.mapped;
    const start = size;
    // What the command writes for each record, made here from the adapter's own objects.
    for (const record of records) {
      const line = JSON.stringify(record);
      reserve(line.length + 1);
      size += bytes.write(line, size);
      bytes[size++] = 0x0a;
    }
    batch.add({
      row: item.row,
      keys: checked.keys,
      types: records.map((r) => r.identifier.type),
      fields,
      count: records.length,
      length: size - start,
      warnings: (warnings ?? []).map((w) => ({ ...w, row: item.row })),
    });
  };

  port.on('message', (message: ToWorker) => {
    try {
      if ('rows' in message) {
        for (const item of decodeRows(message.rows)) {
          mapItem(item);
          if (batch.length >= BATCH) flush();
        }
        flush();
        port.postMessage({ ack: true } satisfies FromWorker);
      } else {
        flush();
        port.postMessage({ done: true } satisfies FromWorker);
        port.close();
      }
    } catch (error) {
      flush();
      port.postMessage({
        error: error instanceof Error ? error.message : String(error),
      } satisfies FromWorker);
      port.close();
    }
  });
}

main();
