/**
 * The on-disk SeenIdentifiers of `fsg map` (the default): the duplicate check of a very large input
 * in a few bytes of memory per key.
 *
 * - Every key is appended, with its first row, to a temporary file (its own folder under the OS temp
 *   dir, deleted on close): the only place the keys themselves are kept.
 * - In memory, an open-addressing table (linear probing) per partition of the key space holds, per
 *   key, a 32-bit hash of it and where its record starts in the file: 8 bytes a slot, at most 80 % of
 *   the slots used, and a partition grows by half when it is full, so 10–15 bytes per key (about
 *   54 MiB for the 4 million identifiers of a million boatreg-nl rows). 256 partitions, so that
 *   growing copies 1/256 of the table at a time, never all of it at once.
 *
 * Exact ("first occurrence wins" never depends on a hash): a key whose hash is in no slot of its probe
 * sequence was never added (every added key's hash is there), and a hash match is only a match once
 * the key read back from the file is the same string (UTF-16 units, not UTF-8, so that two strings
 * with lone surrogates never read as one). A key read back costs one read of the file at most: only
 * duplicates and 32-bit hash collisions pay it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SeenIdentifiers } from './seen';

export interface DiskSeenOptions {
  /** Folder under which the temporary folder is made (default: os.tmpdir()). */
  tmpDir?: string;
  /** Slots per partition at the start (default 1,024). */
  initialSlots?: number;
  /** Bytes of key records kept in memory before they are written to the file (default 1 MiB). */
  bufferBytes?: number;
}

const PARTITIONS = 256;
/** A partition grows by half when more than this share of its slots is used (linear probing). */
const MAX_LOAD = 0.8;
const GROWTH = 1.5;
/** Lookups remembered for the add that follows them. */
const RECENT = 8;
/** Records start at multiples of this, so that a 32-bit slot reference reaches 32 GiB of keys. */
const ALIGN = 8;
/** A record: row (u32), key length in UTF-16 units and whether they take 1 or 2 bytes (u32), the key. */
const HEADER = 8;

export function openDiskSeenIdentifiers(options: DiskSeenOptions = {}): SeenIdentifiers & { file: string } {
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'fsg-seen-'));
  const file = path.join(dir, 'seen.keys');
  let fd: number;
  try {
    fd = fs.openSync(file, 'w+');
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // If the process ends without close() (an uncaught error), still leave no scratch file behind.
  const onExit = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);

  const initialSlots = Math.max(4, Math.floor(options.initialSlots ?? 1024));
  /**
   * Per partition, two 32-bit words a slot: the key's hash, and its record's reference (offset /
   * ALIGN + 1; 0: an empty slot).
   */
  const tables: Uint32Array[] = [];
  const used = new Int32Array(PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++) tables.push(new Uint32Array(2 * initialSlots));

  // Records not yet written: they start at file offset `written`.
  let pending = Buffer.allocUnsafe(Math.max(1024, Math.floor(options.bufferBytes ?? 1 << 20)));
  let pendingSize = 0;
  let written = 0;
  let scratch = Buffer.allocUnsafe(256);
  let size = 0;
  let open = true;

  const writePending = () => {
    let at = 0;
    while (at < pendingSize) at += fs.writeSync(fd, pending, at, pendingSize - at, written + at);
    written += pendingSize;
    pendingSize = 0;
  };

  /** The record at `ref` if it holds `key` (same UTF-16 units): its row, else -1. */
  const rowIfSame = (ref: number, key: string, wide: boolean): number => {
    const offset = ref * ALIGN;
    const bytes = key.length * (wide ? 2 : 1);
    let buf: Buffer;
    let at: number;
    if (offset >= written) {
      buf = pending;
      at = offset - written;
    } else {
      if (scratch.length < HEADER + bytes) scratch = Buffer.allocUnsafe(2 * (HEADER + bytes));
      // The record is whole in the file (records are written whole), or its key is shorter than this.
      const got = fs.readSync(fd, scratch, 0, HEADER + bytes, offset);
      if (got < HEADER) return -1;
      buf = scratch;
      at = 0;
    }
    if (buf.readUInt32LE(at + 4) !== key.length * 2 + (wide ? 1 : 0)) return -1;
    const start = at + HEADER;
    if (wide) {
      for (let i = 0; i < key.length; i++)
        if (buf.readUInt16LE(start + 2 * i) !== key.charCodeAt(i)) return -1;
    } else {
      for (let i = 0; i < key.length; i++) if (buf[start + i] !== key.charCodeAt(i)) return -1;
    }
    return buf.readUInt32LE(at);
  };

  /** Appends the key's record; returns its reference. */
  const append = (key: string, row: number, wide: boolean): number => {
    const bytes = key.length * (wide ? 2 : 1);
    const length = (HEADER + bytes + ALIGN - 1) & ~(ALIGN - 1);
    if (pendingSize + length > pending.length) {
      writePending();
      if (length > pending.length) pending = Buffer.allocUnsafe(length);
    }
    const ref = (written + pendingSize) / ALIGN;
    if (ref >= 0xffffffff) throw new Error('too many identifiers for the duplicate check (32 GiB of keys)');
    const at = pendingSize;
    pending.writeUInt32LE(row, at);
    pending.writeUInt32LE(key.length * 2 + (wide ? 1 : 0), at + 4);
    if (wide) {
      for (let i = 0; i < key.length; i++) pending.writeUInt16LE(key.charCodeAt(i), at + HEADER + 2 * i);
    } else {
      for (let i = 0; i < key.length; i++) pending[at + HEADER + i] = key.charCodeAt(i);
    }
    pendingSize += length;
    return ref;
  };

  /** The row of the key find found last. */
  let found = -1;
  /** Slot of the key with this hash in the partition (-1 - slot: absent, the free slot to put it in). */
  const find = (key: string, h: number, p: number, wide: boolean): number => {
    const table = tables[p]!;
    const slots = table.length >>> 1;
    // The high bits of the hash pick the home slot (any number of slots, not only powers of two).
    let s = Math.floor((h * slots) / 4294967296);
    for (;;) {
      const ref = table[2 * s + 1]!;
      if (ref === 0) return -1 - s;
      if (table[2 * s] === h) {
        found = rowIfSame(ref - 1, key, wide);
        if (found >= 0) return s;
      }
      if (++s === slots) s = 0;
    }
  };

  const grow = (p: number) => {
    const old = tables[p]!;
    const slots = Math.floor((old.length >>> 1) * GROWTH);
    const table = new Uint32Array(2 * slots);
    for (let i = 0; i < old.length; i += 2) {
      const ref = old[i + 1]!;
      if (ref === 0) continue;
      const h = old[i]!;
      let s = Math.floor((h * slots) / 4294967296);
      while (table[2 * s + 1] !== 0) if (++s === slots) s = 0;
      table[2 * s] = h;
      table[2 * s + 1] = ref;
    }
    tables[p] = table;
  };

  /**
   * The last keys firstRow found absent, and the free slot that ended their probe: claimKeys adds a
   * row's keys right after looking them up, and then needs neither the hash nor the probe again.
   * Still right if that slot is still free in the same table: a slot is only ever filled, so the
   * probe up to it would find what it found (and the same key added since would be in that slot).
   */
  const recentKeys: (string | undefined)[] = new Array<string | undefined>(RECENT).fill(undefined);
  const recentHashes = new Uint32Array(RECENT);
  const recentSlots = new Int32Array(RECENT);
  const recentTables: Uint32Array[] = new Array<Uint32Array>(RECENT).fill(new Uint32Array(0));
  const recentWide: boolean[] = new Array<boolean>(RECENT).fill(false);
  const recentPartitions = new Int32Array(RECENT);
  let recentNext = 0;

  const insert = (key: string, row: number, h: number, p: number, slot: number, wide: boolean) => {
    const table = tables[p]!;
    table[2 * slot] = h;
    table[2 * slot + 1] = append(key, row, wide) + 1;
    size++;
    if (++used[p]! > (table.length >>> 1) * MAX_LOAD) grow(p);
  };

  /** firstRow of a key whose hash, partition and width are known. */
  const lookup = (key: string, h: number, p: number, wide: boolean): number | undefined => {
    const s = find(key, h, p, wide);
    if (s >= 0) return found;
    const i = recentNext;
    recentNext = (i + 1) % RECENT;
    recentKeys[i] = key;
    recentHashes[i] = h;
    recentSlots[i] = -1 - s;
    recentTables[i] = tables[p]!;
    recentWide[i] = wide;
    recentPartitions[i] = p;
    return undefined;
  };

  return {
    file,
    firstRow(key) {
      const h = hashKey(key);
      return lookup(key, h, lastPartition, lastWide);
    },
    firstRowHashed(key, hashes, at) {
      const where = hashes[at + 1]!;
      return lookup(key, hashes[at]!, where & 0xff, where > 0xff);
    },
    add(key, row) {
      if (!open) throw new Error('the duplicate check is closed');
      if (!(row >= 0 && row <= 0xffffffff)) throw new RangeError(`row ${row} out of range`);
      for (let i = 0; i < RECENT; i++) {
        if (recentKeys[i] !== key) continue;
        recentKeys[i] = undefined;
        const p = recentPartitions[i]!;
        const slot = recentSlots[i]!;
        const table = tables[p]!;
        if (recentTables[i] === table && table[2 * slot + 1] === 0) {
          insert(key, row, recentHashes[i]!, p, slot, recentWide[i]!);
          return;
        }
        break;
      }
      const h = hashKey(key);
      const p = lastPartition;
      const wide = lastWide;
      const s = find(key, h, p, wide);
      // A key already present keeps its first row (and is not counted twice).
      if (s >= 0) return;
      insert(key, row, h, p, -1 - s, wide);
    },
    get size() {
      return size;
    },
    close() {
      if (!open) return;
      open = false;
      process.removeListener('exit', onExit);
      tables.fill(new Uint32Array(2));
      try {
        fs.closeSync(fd);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The partition and width (one byte or two per UTF-16 unit) of the last key hashKey read. */
let lastPartition = 0;
let lastWide = false;

/** Words per key that hashKeyInto writes. */
export const HASH_WORDS = 2;

/**
 * What firstRowHashed needs of a key besides the key, into out[at] and out[at + 1]: its hash, then its
 * partition and width. The mapping worker makes them, so that the thread that checks duplicates only
 * probes.
 */
export function hashKeyInto(key: string, out: Uint32Array, at: number): void {
  out[at] = hashKey(key);
  out[at + 1] = lastPartition | (lastWide ? 0x100 : 0);
}

/**
 * A 32-bit hash of the key's UTF-16 units (for the slot and the fingerprint), and, from a second one
 * made in the same pass, its partition (in lastPartition).
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 ^ key.length;
  let g = 0x9e3779b1;
  let units = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    units |= c;
    h = Math.imul(h ^ c, 0x01000193);
    g = Math.imul(g ^ c, 0x5bd1e995);
    g ^= g >>> 15;
  }
  lastWide = units > 0xff;
  lastPartition = fmix(g) >>> 24;
  return fmix(h) >>> 0;
}

/** murmur3's finaliser: every bit of the input moves every bit of the output. */
function fmix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}
