/**
 * How the mapping worker's results (worker.ts → parallel.ts) cross back cheaply. Almost every row is
 * a mapped row without warnings, and all the parent thread needs of it to check duplicates is its
 * identifier keys, plus the records' types and source fields to name a duplicate (a handful of
 * different lists in a file): so such a row is numbers in a Float64Array, its keys go into one string
 * (with their ends), and its types and fields are one of the batch's distinct "shapes". Every other
 * item (a quarantined or malformed row, a row with warnings) goes as JSON, as before.
 *
 * Exact: readResults gives back the items given to the writer, in the same order, with the same
 * values (JSON for the others, as the items only ever reach JSON output).
 */
import type { WorkerItem } from './parallel';
import { HASH_WORDS, hashKeyInto } from './seen-disk';

type MappedItem = Extract<WorkerItem, { keys: string[] }>;

export interface ResultBatch {
  /** One entry per item, in order: 1 a plain mapped row, 0 one of `others`. */
  kinds: Uint8Array;
  /** JSON of the other items, in order. */
  others: string;
  /** Per plain mapped row: row, records, bytes of its JSON Lines, shape (index into `shapes`). */
  plain: Float64Array;
  /** The plain rows' keys, one after the other (a row's count of them), and the end of each. */
  keys: string;
  keyEnds: Uint32Array;
  /** hashKeyInto's words for each of those keys, in the same order. */
  hashes: Uint32Array;
  /** JSON of the distinct [types, fields or null] of the plain rows. */
  shapes: string;
}

/** Distinct shapes kept per batch; a row of yet another shape goes as JSON. */
const MAX_SHAPES = 64;

export class ResultBatchWriter {
  private kinds: number[] = [];
  private others: WorkerItem[] = [];
  private plain: number[] = [];
  private keys = '';
  private keyEnds: number[] = [];
  private hashes = new Uint32Array(HASH_WORDS * 1024);
  private shapes: { types: string[]; fields: string[] | undefined }[] = [];

  get length(): number {
    return this.kinds.length;
  }

  add(item: WorkerItem): void {
    if ('keys' in item && item.warnings.length === 0 && item.keys.length === item.count) {
      const shape = this.shapeOf(item);
      if (shape !== -1) {
        this.kinds.push(1);
        this.plain.push(item.row, item.count, item.length, shape);
        for (const key of item.keys) {
          const at = HASH_WORDS * this.keyEnds.length;
          if (at === this.hashes.length) this.hashes = grown(this.hashes);
          hashKeyInto(key, this.hashes, at);
          this.keys += key;
          this.keyEnds.push(this.keys.length);
        }
        return;
      }
    }
    this.kinds.push(0);
    this.others.push(item);
  }

  /** The batch so far, as a message part (its typed arrays can be moved), and a new empty batch. */
  take(): ResultBatch {
    const batch: ResultBatch = {
      kinds: Uint8Array.from(this.kinds),
      others: JSON.stringify(this.others),
      plain: Float64Array.from(this.plain),
      keys: this.keys,
      keyEnds: Uint32Array.from(this.keyEnds),
      hashes: this.hashes.slice(0, HASH_WORDS * this.keyEnds.length),
      shapes: JSON.stringify(this.shapes.map((s) => [s.types, s.fields ?? null])),
    };
    this.kinds = [];
    this.others = [];
    this.plain = [];
    this.keys = '';
    this.keyEnds = [];
    this.shapes = [];
    return batch;
  }

  /** The index of the item's types and fields among the batch's shapes (-1: too many shapes). */
  private shapeOf(item: MappedItem): number {
    const { types, fields } = item;
    for (let i = 0; i < this.shapes.length; i++) {
      const shape = this.shapes[i]!;
      if (sameStrings(shape.types, types) && sameFields(shape.fields, fields)) return i;
    }
    if (this.shapes.length >= MAX_SHAPES) return -1;
    this.shapes.push({ types, fields });
    return this.shapes.length - 1;
  }
}

export function transferablesOfResults(batch: ResultBatch): ArrayBuffer[] {
  return [batch.kinds.buffer, batch.plain.buffer, batch.keyEnds.buffer, batch.hashes.buffer] as ArrayBuffer[];
}

/** The items of a batch, in order; a plain row comes without warnings (it had none). */
export function* readResults(batch: ResultBatch): Generator<WorkerItem> {
  const others = JSON.parse(batch.others) as WorkerItem[];
  const shapes = (JSON.parse(batch.shapes) as [string[], string[] | null][]).map(([types, fields]) => ({
    types,
    fields: fields ?? undefined,
  }));
  const { kinds, plain, keys, keyEnds, hashes } = batch;
  let other = 0;
  let p = 0;
  let k = 0;
  let keyStart = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === 0) {
      yield others[other++]!;
      continue;
    }
    const count = plain[p + 1]!;
    const hashAt = HASH_WORDS * k;
    const rowKeys: string[] = [];
    for (let j = 0; j < count; j++, k++) {
      rowKeys.push(keys.slice(keyStart, keyEnds[k]));
      keyStart = keyEnds[k]!;
    }
    const { types, fields } = shapes[plain[p + 3]!]!;
    const item: MappedItem = {
      row: plain[p]!,
      keys: rowKeys,
      types,
      count,
      length: plain[p + 2]!,
      warnings: [],
      hashes,
      hashAt,
    };
    if (fields !== undefined) item.fields = fields;
    yield item;
    p += 4;
  }
}

function grown(words: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(2 * words.length);
  bigger.set(words);
  return bigger;
}

function sameStrings(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameFields(a: string[] | undefined, b: string[] | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameStrings(a, b);
}
