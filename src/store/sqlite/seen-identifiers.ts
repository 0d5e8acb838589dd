/**
 * The on-disk SeenIdentifiers: a temporary SQLite file (its own folder under the OS temp dir, deleted
 * on close) so that the duplicate check of a very large input runs in bounded memory.
 *
 * Three layers, all exact ("first occurrence wins" never depends on a hash):
 * - a Bloom filter of fixed size in front: a key it has never seen is answered "not seen" without
 *   touching SQLite (no false negatives: every added key is in the filter). Almost every key of a
 *   clean input takes this path.
 * - the keys added since the last flush, in a Map (at most `batchSize` of them).
 * - the SQLite table, written a batch at a time (sorted, multi-row INSERTs), all in one transaction
 *   that stays open until close: a scratch file needs no commit, and committing every batch would
 *   write the same hot pages out again each time (SQLite still spills pages when its cache is full).
 * A key the filter may have seen is looked up in the Map, then in SQLite; a false positive of the
 * filter only costs that lookup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SeenIdentifiers } from '../../mapping/seen';

export interface DiskSeenOptions {
  /** Folder under which the temporary folder is made (default: os.tmpdir()). */
  tmpDir?: string;
  /** Keys kept in memory before they are written in one transaction (default 20,000). */
  batchSize?: number;
  /** SQLite page cache in KiB (default 32,768 = 32 MiB): the memory bound of the set. */
  cacheKiB?: number;
  /** Size of the Bloom filter in MiB (default 16: about 2 % false positives at 28 million keys). */
  filterMiB?: number;
}

/** Rows per multi-row INSERT statement (2 parameters each; SQLite allows 32,766). */
const INSERT_ROWS = 256;
const MANY_ROWS_INSERT = `INSERT INTO seen (key, row) VALUES ${'(?, ?), '.repeat(INSERT_ROWS - 1)}(?, ?)`;
/** Bits set per key in the filter. */
const FILTER_HASHES = 4;

export function openDiskSeenIdentifiers(options: DiskSeenOptions = {}): SeenIdentifiers & { file: string } {
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'fsg-seen-'));
  const file = path.join(dir, 'seen.sqlite');
  const batchSize = Math.max(1, options.batchSize ?? 20_000);
  const db = new Database(file);
  let open = true;
  let size = 0;
  try {
    // A scratch file: nothing to recover after a crash, so no journal and no fsync.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('temp_store = FILE');
    // PRAGMA takes no bound parameters; the value is an integer computed here, never input.
    db.pragma(`cache_size = ${-Math.max(1024, Math.floor(options.cacheKiB ?? 32_768))}`);
    db.exec('CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID');
    db.exec('BEGIN');
  } catch (error) {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const select = db.prepare<[string], { row: number }>('SELECT row FROM seen WHERE key = ?');
  const insertOne = db.prepare<[string, number]>('INSERT INTO seen (key, row) VALUES (?, ?)');
  // Only placeholders are repeated into the statement: the values are bound.
  const insertMany = db.prepare<(string | number)[]>(MANY_ROWS_INSERT);
  // If the process ends without close() (an uncaught error), still leave no scratch file behind.
  const onExit = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);

  const filter = new BloomFilter(options.filterMiB ?? 16);
  /** Keys added since the last flush (none of them is in SQLite yet). */
  let pending = new Map<string, number>();
  const params: (string | number)[] = new Array<string | number>(2 * INSERT_ROWS);

  const flush = () => {
    const keys = [...pending.keys()].sort();
    let i = 0;
    for (; i + INSERT_ROWS <= keys.length; i += INSERT_ROWS) {
      for (let j = 0; j < INSERT_ROWS; j++) {
        const key = keys[i + j]!;
        params[2 * j] = key;
        params[2 * j + 1] = pending.get(key)!;
      }
      insertMany.run(...params);
    }
    for (; i < keys.length; i++) insertOne.run(keys[i]!, pending.get(keys[i]!)!);
  };

  const firstRow = (key: string, h1: number, h2: number): number | undefined => {
    if (!filter.mayHave(h1, h2)) return undefined;
    return pending.get(key) ?? select.get(key)?.row;
  };

  return {
    file,
    firstRow(key) {
      const h1 = hashString(key);
      return firstRow(key, h1, secondHash);
    },
    add(key, row) {
      const h1 = hashString(key);
      const h2 = secondHash;
      // A key already present keeps its first row (and is not counted twice).
      if (firstRow(key, h1, h2) !== undefined) return;
      filter.add(h1, h2);
      pending.set(key, row);
      size++;
      if (pending.size >= batchSize) {
        flush();
        pending = new Map();
      }
    },
    get size() {
      return size;
    },
    close() {
      if (!open) return;
      open = false;
      process.removeListener('exit', onExit);
      pending = new Map();
      try {
        db.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The second hash of the last key hashString read (both are made in one pass over the key). */
let secondHash = 1;

/** Two 32-bit hashes of the UTF-16 code units (FNV-1a, and a multiply-xorshift), for the filter. */
function hashString(key: string): number {
  let h = 0x811c9dc5;
  let g = 0x9e3779b1 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193);
    g = Math.imul(g ^ c, 0x5bd1e995);
    g ^= g >>> 15;
  }
  g ^= g >>> 13;
  g = Math.imul(g, 0xc2b2ae35);
  g ^= g >>> 16;
  // Odd, so that the probes of double hashing never repeat within the filter.
  secondHash = (g | 1) >>> 0;
  return h >>> 0;
}

/** A fixed-size Bloom filter (double hashing): memory does not grow with the number of keys. */
class BloomFilter {
  private readonly words: Int32Array;
  private readonly mask: number;

  constructor(mib: number) {
    // A power of two of 32-bit words, so that a bit index is a mask away.
    const bits = 2 ** Math.max(10, Math.floor(Math.log2(Math.max(0, mib) * 8 * 1024 * 1024)));
    this.words = new Int32Array(bits / 32);
    this.mask = bits - 1;
  }

  /** Sets the bits of a key from its two hashes. */
  add(h1: number, h2: number): void {
    for (let i = 0; i < FILTER_HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.words[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** False only for a key never added (no false negatives). */
  mayHave(h1: number, h2: number): boolean {
    for (let i = 0; i < FILTER_HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
