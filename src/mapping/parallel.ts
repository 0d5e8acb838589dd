/**
 * The adapter, record validation and JSON serialisation of a CSV file on two threads, so that the
 * mapping of a large file uses a second core. This thread parses the CSV (the same reader as the
 * single-threaded path, readCsvRows under readCsv) and cuts the rows into batches; a worker thread
 * (worker.ts) maps most of them, and this thread maps the others itself (map-batch.ts, the same code)
 * whenever the worker has enough queued, so that neither thread idles while the other works. Each
 * batch gives, in order, each row's records as JSON Lines with their identifier keys (or the row's
 * quarantine event); this thread then checks duplicates (claimKeys, which needs every earlier row)
 * and writes, in row order whichever thread mapped a batch.
 *
 * Memory stays flat: a few batches at most are queued at the worker, and no new batch is cut (nor the
 * file read on) while the results not yet consumed here pile up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { readCsvRows, type CsvItem } from './csv-reader';
import type { SourceItem } from './readers';
import { getAdapter } from './registry';
import { BatchMapper, type MappedBatch } from './map-batch';
import { readResults } from './result-batch';
import { encodeRows, sourceItems, transferablesOf, type RowBatch } from './row-batch';
import {
  atLine,
  claimKeys,
  malformedEntry,
  quarantine,
  withLine,
  type LinesEvent,
  type MapEvent,
} from './run';
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
      /** hashKeyInto's words for the keys, from hashAt on (made by the thread that mapped the row). */
      hashes?: Uint32Array;
      hashAt?: number;
    }
  | { row: number; event: MapEvent }
  | Extract<SourceItem, { malformed: string }>;

/**
 * Messages of the worker. A batch of results is `results`, the WorkerItems (result-batch.ts), and
 * `bytes`, the JSON Lines of their mapped rows as UTF-8 (the first `size` bytes; WorkerItem.length
 * each, one after the other), a buffer moved to this thread rather than copied: one such message for
 * each batch of rows, in order.
 */
export type FromWorker = MappedBatch | { done: true } | { error: string };

/** Messages to the worker: a batch of SourceItems (row-batch.ts), or the end of the input. */
export type ToWorker = { rows: RowBatch } | { end: true };

const WORKER_FILE = path.join(__dirname, 'worker.js');
/** Rows mapped at a time (by the worker or here). */
const ROWS_PER_BATCH = 256;
/**
 * Batches sent to the worker and not yet mapped by it above which this thread maps the next batch
 * itself: the worker never runs dry, and this thread (which also parses, checks duplicates and
 * writes, the longer part) maps only when the worker is well behind, not in every burst of rows.
 */
const WORKER_QUEUE = 12;
/**
 * Batches mapped (here or there) and not yet consumed here: enough (6,144 rows, a few MiB) that the
 * mapping goes on through a write that waits; the file is read no further while there are more.
 */
const MAX_BATCHES_WAITING = 24;

/** True when this adapter can run in the worker: the compiled build, and an adapter of the registry. */
export function canAdaptCsvInWorker(adapter: Adapter): boolean {
  return __filename.endsWith('.js') && getAdapter(adapter.id) === adapter && fs.existsSync(WORKER_FILE);
}

/**
 * The parallel `fsg map` of a CSV input: the events of mapStream in the same order, except that mapped
 * rows come as LinesEvents (their records already as the JSON Lines the command writes), one for each
 * run of mapped rows in a batch.
 */
export async function* mapCsvInWorker(
  adapter: Adapter,
  input: Readable,
  seen: SeenIdentifiers,
): AsyncGenerator<MapEvent | LinesEvent> {
  // A batch at a time from the worker (one await per batch, not per row).
  for await (const { items, bytes, firstRow, lines } of adaptCsvInWorker(adapter, input)) {
    let at = 0;
    // The mapped rows since the last quarantined one, and where their JSON Lines start.
    let run: LinesEvent | undefined;
    let runStart = 0;
    const endRun = () => {
      const ended = run!;
      ended.jsonl = bytes.subarray(runStart, at);
      run = undefined;
      return ended;
    };
    for (const item of items) {
      // The worker does not see lines: the row's line is the one this thread read it at.
      const line = lines[item.row - firstRow]!;
      if ('malformed' in item) {
        if (run) yield endRun();
        yield quarantine(malformedEntry(item), item.fatal === true);
      } else if ('event' in item) {
        if (run) yield endRun();
        yield atLine(item.event, line);
      } else {
        const duplicates = claimKeys(
          item.types,
          item.fields,
          item.keys,
          { row: item.row, line },
          seen,
          item.hashes,
          item.hashAt,
        );
        if (duplicates) {
          if (run) yield endRun();
          yield atLine({ kind: 'quarantine', entries: duplicates }, line);
        } else {
          if (!run) {
            run = { kind: 'lines', row: item.row, rows: 0, count: 0, jsonl: bytes, warnings: [] };
            runStart = at;
          }
          run.rows++;
          run.count += item.count;
          for (const warning of item.warnings) run.warnings.push(withLine(warning, line));
        }
        // The row's JSON Lines are the next item.length bytes, whether or not it is a duplicate.
        at += item.length;
      }
    }
    if (run) yield endRun();
  }
}

/** A batch in the order of the rows: mapped here, or (until its results come) by the worker. */
interface Slot {
  mapped?: MappedBatch;
  /** The batch's first row, and the line of each of its rows (consecutive rows). */
  firstRow: number;
  lines: number[];
}

async function* adaptCsvInWorker(
  adapter: Adapter,
  input: Readable,
): AsyncGenerator<{ items: Iterable<WorkerItem>; bytes: Buffer; firstRow: number; lines: number[] }> {
  const worker = new Worker(WORKER_FILE, { workerData: { adapterId: adapter.id } });
  const here = new BatchMapper(adapter);
  /** Every batch not yet consumed, in order; and those of them the worker has, in order. */
  const slots: Slot[] = [];
  const atWorker: Slot[] = [];
  let failure: { error: Error } | undefined;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const wake = waiters;
    waiters = [];
    for (const w of wake) w();
  };
  const until = async (ready: () => boolean) => {
    while (!ready()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  let stopped = false;
  let pumped = false;
  let inputFailed = false;
  let inputError: unknown;

  worker.on('message', (message: FromWorker) => {
    if ('results' in message) atWorker.shift()!.mapped = message;
    else if ('error' in message) failure ??= { error: new Error(message.error) };
    notify();
  });
  worker.on('error', (error: Error) => {
    failure ??= { error };
    notify();
  });
  worker.on('exit', (code: number) => {
    // The worker only ends when told to, after its last batch; earlier it failed.
    if (atWorker.length > 0 || !pumped)
      failure ??= { error: new Error(`the mapping worker stopped (exit code ${code})`) };
    notify();
  });

  const pump = async () => {
    try {
      let batch: CsvItem[] = [];
      const dispatch = async () => {
        const slot: Slot = { firstRow: batch[0]!.row, lines: batch.map(lineOf) };
        slots.push(slot);
        if (atWorker.length < WORKER_QUEUE) {
          const rows = encodeRows(batch);
          atWorker.push(slot);
          worker.postMessage({ rows } satisfies ToWorker, transferablesOf(rows));
        } else {
          slot.mapped = here.map(sourceItems(batch));
          notify();
          // Let the worker's messages in (its queue) and the consumer run before the next batch.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        batch = [];
        await until(() => stopped || slots.length < MAX_BATCHES_WAITING);
      };
      // The same reader as the single-threaded path (rows as cells, not yet objects).
      for await (const item of readCsvRows(input)) {
        if (stopped) return;
        batch.push(item);
        if (batch.length >= ROWS_PER_BATCH) await dispatch();
      }
      if (stopped) return;
      if (batch.length) await dispatch();
      pumped = true;
      worker.postMessage({ end: true } satisfies ToWorker);
      notify();
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
      const slot = slots[0];
      if (slot?.mapped) {
        slots.shift();
        notify();
        const { results, bytes, size } = slot.mapped;
        const { firstRow, lines } = slot;
        yield { items: readResults(results), bytes: Buffer.from(bytes, 0, size), firstRow, lines };
        continue;
      }
      if (failure) throw failure.error;
      if (slot === undefined && pumped) return;
      await until(
        () =>
          slots[0]?.mapped !== undefined ||
          inputFailed ||
          failure !== undefined ||
          (slots.length === 0 && pumped),
      );
    }
  } finally {
    stopped = true;
    notify();
    await worker.terminate();
    if (!input.destroyed) input.destroy();
    await pumping;
  }
}

/** The line of a CSV item (each has one: readCsvRows numbers every row's first line). */
function lineOf(item: CsvItem): number {
  return item.line!;
}
