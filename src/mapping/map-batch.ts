/**
 * The mapping of a batch of rows as `fsg map` does it for a CSV file (parallel.ts): the adapter,
 * record validation and JSON Lines, with the results in the compact form of result-batch.ts. The
 * worker thread (worker.ts) runs it, and so does the main thread for the batches it keeps when the
 * worker has enough to do: the same code, so the same bytes whichever thread mapped a row.
 */
import { writeSimpleJson } from './json-bytes';
import type { SourceItem } from './readers';
import { ResultBatchWriter, type ResultBatch } from './result-batch';
import { adaptRow, checkOutcome } from './run';
import type { Adapter } from './types';

/** First size of a batch's JSON Lines buffer (it grows when a batch needs more). */
const INITIAL_BYTES = 512 * 1024;
/** Room in which a record that did not fit is written again before it goes to JSON.stringify. */
const SIMPLE_RECORD_ROOM = 64 * 1024;

export interface MappedBatch {
  results: ResultBatch;
  /** The JSON Lines of the batch's mapped rows as UTF-8: its first `size` bytes. */
  bytes: ArrayBuffer;
  size: number;
}

export class BatchMapper {
  private readonly batch = new ResultBatchWriter();
  // The batch's JSON Lines as UTF-8, written straight into a buffer that is then handed over whole
  // (moved, not copied, from the worker): no string crosses the threads.
  private bytes = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  private size = 0;

  constructor(private readonly adapter: Adapter) {}

  /** Maps the items, in order; the buffer of the result is the caller's from then on. */
  map(items: SourceItem[]): MappedBatch {
    for (const item of items) this.mapItem(item);
    const mapped: MappedBatch = { results: this.batch.take(), bytes: this.bytes.buffer, size: this.size };
    this.bytes = Buffer.allocUnsafeSlow(this.bytes.length);
    this.size = 0;
    return mapped;
  }

  private reserve(chars: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const needed = this.size + 3 * chars;
    if (needed <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(bigger, 0, 0, this.size);
    this.bytes = bigger;
  }

  private mapItem(item: SourceItem): void {
    const { batch } = this;
    if ('malformed' in item) {
      batch.add(item);
      return;
    }
    const adapted = adaptRow(this.adapter, item.value, item.row);
    const checked = 'event' in adapted ? adapted : checkOutcome(adapted.outcome, item.row);
    if ('event' in checked) {
      batch.add({ row: item.row, event: checked.event });
      return;
    }
    const { records, fields, warnings } = checked.mapped;
    const start = this.size;
    // What the command writes for each record, made here from the adapter's own objects.
    for (const record of records) {
      let end = writeSimpleJson(record, this.bytes, this.size);
      if (end < 0 && this.bytes.length - this.size < SIMPLE_RECORD_ROOM) {
        // Perhaps only out of room: again in a bigger buffer.
        this.reserve(SIMPLE_RECORD_ROOM);
        end = writeSimpleJson(record, this.bytes, this.size);
      }
      if (end >= 0) {
        this.size = end;
      } else {
        const line = JSON.stringify(record);
        this.reserve(line.length);
        this.size += this.bytes.write(line, this.size);
      }
      this.reserve(1);
      this.bytes[this.size++] = 0x0a;
    }
    batch.add({
      row: item.row,
      keys: checked.keys,
      types: records.map((r) => r.identifier.type),
      fields,
      count: records.length,
      length: this.size - start,
      warnings: (warnings ?? []).map((w) => ({ ...w, row: item.row })),
    });
  }
}
