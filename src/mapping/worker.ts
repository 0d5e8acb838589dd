/**
 * The mapping worker (see parallel.ts): maps each batch of CSV rows the parent thread sends
 * (map-batch.ts: adapter, validation, JSON Lines); the results go back in order, a batch for a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchMapper } from './map-batch';
import type { FromWorker, ToWorker } from './parallel';
import { getAdapter } from './registry';
import { transferablesOfResults } from './result-batch';
import { decodeRows } from './row-batch';

function main(): void {
  const port = parentPort!;
  const { adapterId } = workerData as { adapterId: string };
  const adapter = getAdapter(adapterId);
  if (!adapter) throw new Error(`unknown adapter "${adapterId}"`);
  const mapper = new BatchMapper(adapter);

  port.on('message', (message: ToWorker) => {
    try {
      if ('rows' in message) {
        const { results, bytes, size } = mapper.map(decodeRows(message.rows));
        const reply: FromWorker = { results, bytes, size };
        port.postMessage(reply, [bytes, ...transferablesOfResults(results)]);
      } else {
        port.postMessage({ done: true } satisfies FromWorker);
        port.close();
      }
    } catch (error) {
      port.postMessage({
        error: error instanceof Error ? error.message : String(error),
      } satisfies FromWorker);
      port.close();
    }
  });
}

main();
