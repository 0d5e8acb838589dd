/**
 * The adapter, record validation and JSON serialisation in a worker thread (src/mapping/worker.ts), so
 * that the mapping of a large CSV file uses a second core: this thread parses the CSV (the same
 * reader as the single-threaded path, readCsvRows under readCsv) and sends the rows in batches; the worker runs the
 * same steps (adaptRow, checkOutcome) and sends back, in order, each row's records as JSON Lines with
 * their identifier keys (or the row's quarantine event); this thread then checks duplicates (claimKeys,
 * which needs every earlier row) and writes.
 *
 * Memory stays flat: at most a few batches of rows are unacknowledged by the worker, and no new batch
 * is sent (nor the file read on) while the results not yet consumed here pile up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { readCsvRows, type CsvItem } from './readers';
import { getAdapter } from './registry';
import { readResults, type ResultBatch } from './result-batch';
import { encodeRows, transferablesOf, type RowBatch } from './row-batch';
import { claimKeys, quarantine, type LinesEvent, type MapEvent } from './run';
import type { SeenIdentifiers } from './seen';
import type { Adapter, QuarantineEntry } from './types';

/** One row as the worker hands it back. */
export type WorkerItem =
  /** A row mapped to valid records (not yet checked for duplicates): their keys and JSON Lines. */
  | {
      row: number;
      keys: string[];
      types: string[];
      fields?: string[];
      count: number;
      /** Bytes of the batch's JSON Lines that are this row's (UTF-8). */
      length: number;
      warnings: QuarantineEntry[];
    }
  | { row: number; event: MapEvent }
  | { row: number; malformed: string; fatal?: boolean };

/**
 * Messages of the worker. A batch of results is `results`, the WorkerItems (result-batch.ts), and
 * `bytes`, the JSON Lines of their mapped rows as UTF-8 (the first `size` bytes; WorkerItem.length
 * each, one after the other), a buffer moved to this thread rather than copied.
 */
export type FromWorker =
  | { results: ResultBatch; bytes: ArrayBuffer; size: number }
  | { ack: true }
  | { done: true }
  | { error: string };

/** Messages to the worker: a batch of SourceItems (row-batch.ts), or the end of the input. */
export type ToWorker = { rows: RowBatch } | { end: true };

const WORKER_FILE = path.join(__dirname, 'worker.js');
/** Rows sent to the worker at a time. */
const ROWS_PER_BATCH = 256;
/**
 * Batches of rows sent but not yet mapped by the worker, and of results received but not yet consumed
 * here: enough (4,096 rows, a few MiB) that neither thread waits for the other through a flush of the
 * duplicate check or a write; 4 and 8 left both threads idle ~10 % of the time.
 */
const MAX_BATCHES_IN_FLIGHT = 16;
const MAX_BATCHES_WAITING = 16;

/** True when this adapter can run in the worker: the compiled build, and an adapter of the registry. */
export function canAdaptCsvInWorker(adapter: Adapter): boolean {
  return __filename.endsWith('.js') && getAdapter(adapter.id) === adapter && fs.existsSync(WORKER_FILE);
}

/**
 * The parallel `fsg map` of a CSV input: the events of mapStream in the same order, except that a
 * mapped row comes as a LinesEvent (its records already as the JSON Lines the command writes).
 */
export async function* mapCsvInWorker(
  adapter: Adapter,
  input: Readable,
  seen: SeenIdentifiers,
): AsyncGenerator<MapEvent | LinesEvent> {
  // A batch at a time from the worker (one await per batch, not per row).
  for await (const { items, bytes } of adaptCsvInWorker(adapter, input)) {
    let at = 0;
    for (const item of items) {
      if ('malformed' in item) {
        yield quarantine(
          { row: item.row, field: null, code: 'ROW_MALFORMED', message: item.malformed },
          item.fatal === true,
        );
      } else if ('event' in item) {
        yield item.event;
      } else {
        // The row's JSON Lines are the next item.length bytes, whether or not it is a duplicate.
        const jsonl = bytes.subarray(at, at + item.length);
        at += item.length;
        const duplicates = claimKeys(item.types, item.fields, item.keys, item.row, seen);
        yield duplicates
          ? { kind: 'quarantine', entries: duplicates }
          : { kind: 'lines', row: item.row, count: item.count, jsonl, warnings: item.warnings };
      }
    }
  }
}

async function* adaptCsvInWorker(
  adapter: Adapter,
  input: Readable,
): AsyncGenerator<{ items: Iterable<WorkerItem>; bytes: Buffer }> {
  const worker = new Worker(WORKER_FILE, { workerData: { adapterId: adapter.id } });
  const queue: (FromWorker | { crash: Error } | { exit: number })[] = [];
  let waiters: (() => void)[] = [];
  const notify = () => {
    const wake = waiters;
    waiters = [];
    for (const w of wake) w();
  };
  const until = async (ready: () => boolean) => {
    while (!ready()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  let sent = 0;
  let acked = 0;
  let stopped = false;
  let inputFailed = false;
  let inputError: unknown;

  worker.on('message', (message: FromWorker) => {
    if ('ack' in message) acked++;
    else queue.push(message);
    notify();
  });
  worker.on('error', (error: Error) => {
    queue.push({ crash: error });
    notify();
  });
  worker.on('exit', (code: number) => {
    queue.push({ exit: code });
    notify();
  });

  const send = (message: ToWorker) =>
    worker.postMessage(message, 'rows' in message ? transferablesOf(message.rows) : []);
  const pump = async () => {
    try {
      let batch: CsvItem[] = [];
      const sendBatch = async () => {
        send({ rows: encodeRows(batch) });
        batch = [];
        sent++;
        await until(
          () => stopped || (sent - acked < MAX_BATCHES_IN_FLIGHT && queue.length < MAX_BATCHES_WAITING),
        );
      };
      // The same reader as the single-threaded path (rows as cells, not yet objects), here: csv-parse
      // needs no more than this thread has to spare once the adapter, validation and serialisation are
      // in the worker.
      for await (const item of readCsvRows(input)) {
        if (stopped) return;
        batch.push(item);
        if (batch.length >= ROWS_PER_BATCH) await sendBatch();
      }
      if (stopped) return;
      if (batch.length) await sendBatch();
      send({ end: true });
    } catch (error) {
      // As in the single-threaded read: an input error ends the read and is not swallowed.
      inputFailed = true;
      inputError = error;
      notify();
    }
  };
  const pumping = pump();

  try {
    for (;;) {
      if (inputFailed) throw inputError;
      const message = queue.shift();
      if (message === undefined) {
        await until(() => queue.length > 0 || inputFailed);
        continue;
      }
      notify();
      if ('results' in message) {
        yield { items: readResults(message.results), bytes: Buffer.from(message.bytes, 0, message.size) };
      } else if ('done' in message) {
        return;
      } else if ('error' in message) {
        throw new Error(message.error);
      } else if ('crash' in message) {
        throw message.crash;
      } else if ('exit' in message) {
        throw new Error(`the mapping worker stopped (exit code ${message.exit})`);
      }
    }
  } finally {
    stopped = true;
    notify();
    await worker.terminate();
    if (!input.destroyed) input.destroy();
    await pumping;
  }
}
