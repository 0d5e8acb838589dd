/**
 * One job of the parallel verifier (verify-fast.ts): the entries `from..to` of a log, read by the store's
 * job reader (AuditChunkRows, port.ts: in SQLite one plain range query per batch), checked for the hash
 * chain and reduced to the Merkle subtrees they make. Runs in a worker thread (verify-fast-worker.ts)
 * or in the caller's thread; it reads, hashes and answers, and never decides: the caller stitches the
 * jobs together and compares with the signed checkpoints.
 *
 * Per entry: the seq column is the entry's position, body and hash are text (read as the full verifier
 * reads them, so both hash the same UTF-8 bytes), sha256(body) is the stored hash, the body's own seq is
 * the position and its prevHash is the hash of the entry before it (within the job; the first entry's
 * prevHash goes back to the caller), and the leaf SHA-256(0x00 ‖ body). With `deep` (the default run of
 * `fsg audit verify`), also the full verifier's own row checks, the very functions: the body parsed
 * strictly and in canonical form (parseBody), the columns and the partner and keyed-hash indexes equal
 * to what the body says (checkColumns), the indexes read per job (one grouped range query each in SQLite).
 *
 * With `deep`, the stored Merkle nodes the job's entries complete (its leaves and every perfect subtree
 * inside the job) are compared with the ones it computes, read one level at a time; the
 * entries' times must not go back from the entry audit_ts_order names on (the caller checks between jobs);
 * and the job counts its entries for the DPO's statistics (stats.ts), which the caller adds up and
 * compares with the stored counts.
 *
 * seq and prevHash are found in the bytes without parsing the JSON. A body the gateway writes is the
 * RFC 8785 form of exactly BODY_FIELDS, keys sorted: `…,"data":{…},"outcome":…,"partners":[…],
 * "prevHash":"<64 hex>","requestId":…,"seq":<n>,"ts":"…","type":"…"}`. In JSON text a quote that ends a
 * key is never escaped, so `"prevHash":"` can only occur where a key ending in `prevHash` starts a string
 * value; `data` (the only part that nests) comes before the top-level prevHash, and what follows it
 * (requestId, seq, ts, type: strings, null, an integer) cannot hold an unescaped `":"`. So the LAST
 * `,"seq":` is the top-level key, and it must be followed by the position's digits and `,"ts":"`; the
 * last `"prevHash":"` before it is the top-level prevHash, and it must be followed by 64 hex digits and
 * `","requestId":`. Anything else is reported
 * as a problem and the caller falls back to the full verifier. For a body that is not canonical (which
 * only the full verifier's deep checks can tell) the two readings could differ; such a body was not
 * written by the gateway, and under a signed checkpoint it cannot reproduce the signed root anyway,
 * because the leaves are hashes of the exact bytes.
 */
import crypto from 'node:crypto';
import type { AuditChunkRows } from '../store/port';
import { localDays } from '../time/zones';
import { StatsTally, type CountedEntry } from './stats';
import { Broken, checkColumns, parseBody, timeOrderBreak, type RawAuditRow } from './verify';

/** A perfect subtree of the Merkle tree: its root and its number of leaves (a power of two). */
export interface Subtree {
  hash: string;
  size: number;
}

export interface ChunkJob {
  id: number;
  /** First and last seq (1-based positions) of the job. */
  from: number;
  to: number;
  /** Checkpoint tree sizes in from..to: for each, the job reports the head and the subtrees up to it. */
  sizes: number[];
  /** Deep: from this entry on, times must not go back (audit_ts_order). */
  orderedFrom?: number;
  /** Deep: count the statistics (stats.ts) in these zones (agreement, zone), to compare with the stored. */
  zones?: [string, string][];
}

export interface ChunkResult {
  id: number;
  from: number;
  to: number;
  /** The first thing that does not check out (the caller then runs the full verifier to name it). */
  problem?: { seq: number; what: string };
  /** prevHash written in the body of entry `from`. */
  firstPrevHash?: string;
  /** sha256 of entry `to`'s body. */
  lastHash?: string;
  /** The compact range (subtrees, largest first) of the job's leaves. */
  range: Subtree[];
  /** For each checkpoint size in the job: the hash of that entry and the compact range up to it. */
  at: { size: number; head: string; range: Subtree[] }[];
  /** Deep: the ts of entries `from` and `to` (the caller checks the order between jobs). */
  firstTs?: string;
  lastTs?: string;
  /** Deep, with zones: the statistics' counts of the job's entries (StatsTally keys). */
  counts?: [string, number][];
}

/** The rows of a job, in seq order, as the store reads them (port.ts; SQLite: sqlite/audit-reader.ts). */
export type ChunkReader = AuditChunkRows;

const sha256 = (data: Uint8Array): Buffer => crypto.hash('sha256', data, 'buffer');
const sha256hex = (data: Uint8Array): string => crypto.hash('sha256', data, 'hex');
// Digests inside a job are 32-character latin1 ('binary') strings, one byte per character: a Buffer per digest
// costs about half a microsecond to allocate, a short string a fraction of that (bench/log-verify.ts).
const sha256latin1 = (data: Uint8Array): string => crypto.hash('sha256', data, 'binary');

let utf8 = Buffer.alloc(64 * 1024);
/** 0x00 followed by the UTF-8 of `text` (what Buffer.from(text) gives), in a buffer reused until the next call. */
function utf8WithPrefix(text: string): Buffer {
  // At most 3 bytes per UTF-16 unit, so the encoding is never cut short.
  if (utf8.length < 3 * text.length + 1) utf8 = Buffer.alloc(3 * text.length + 1);
  utf8[0] = 0x00;
  const length = utf8.write(text, 1, 'utf8');
  return utf8.subarray(0, length + 1);
}

const scratch = Buffer.alloc(65);
scratch[0] = 0x01;
/** RFC 9162 node hash, SHA-256(0x01 ‖ left ‖ right), one-shot over a reused buffer. */
export function node(left: Buffer, right: Buffer): Buffer {
  left.copy(scratch, 1);
  right.copy(scratch, 33);
  return sha256(scratch);
}

/** node() over latin1 digests (each character one byte of the digest). */
function nodeLatin1(left: string, right: string): string {
  scratch.write(left, 1, 32, 'latin1');
  scratch.write(right, 33, 32, 'latin1');
  return sha256latin1(scratch);
}

/**
 * The stored nodes that entries from..to complete, by level then index, as latin1 digests: at level l,
 * the indexes (from - 1) / 2^l .. to / 2^l - 1 (a job starts on a multiple of its size, a power of two).
 */
function storedNodes(reader: ChunkReader, from: number, to: number): Map<number, string>[] | undefined {
  const levels: Map<number, string>[] = [];
  for (let level = 0, width = 1; width <= to - from + 1; level++, width *= 2) {
    const found = reader.nodes(level, Math.ceil((from - 1) / width), Math.floor(to / width) - 1);
    if (!found) return undefined;
    levels.push(new Map(found.map((n) => [n.index, n.hash.toString('latin1')])));
  }
  return levels;
}

/** The day of an entry in a zone; one per thread, so consecutive jobs find their days known. */
const dayOf = localDays();

/** Rows read per query within a job. */
const READ_BATCH = 512;

const PREV_KEY = '"prevHash":"';
const AFTER_PREV = '","requestId":';
const SEQ_KEY = ',"seq":';
const AFTER_SEQ = ',"ts":"';

/** The 64 characters written as the top-level prevHash of a body whose seq is `seq`; else undefined. */
export function prevHashOf(body: string, seq: number): string | undefined {
  // seq first: it is nearer the end, and the prevHash key is then looked for only before it.
  const seqKey = body.lastIndexOf(SEQ_KEY);
  if (seqKey < 0) return undefined;
  const digits = String(seq);
  const at = seqKey + SEQ_KEY.length;
  if (!body.startsWith(digits, at) || !body.startsWith(AFTER_SEQ, at + digits.length)) return undefined;
  const key = body.lastIndexOf(PREV_KEY, seqKey);
  if (key < 0) return undefined;
  const start = key + PREV_KEY.length;
  const end = start + 64;
  if (end > seqKey || !body.startsWith(AFTER_PREV, end)) return undefined;
  return body.slice(start, end);
}

type Stack = { hash: string; size: number }[];

const hexRange = (stack: Stack): Subtree[] =>
  stack.map((s) => ({ hash: Buffer.from(s.hash, 'latin1').toString('hex'), size: s.size }));

/**
 * Checks entries from..to (a job aligned on a power-of-two boundary of the tree; see verify-fast.ts);
 * with `deep`, also each row as the full verifier does (parseBody, checkColumns).
 */
export function verifyChunk(reader: ChunkReader, job: ChunkJob, deep = false): ChunkResult {
  const { id, from, to } = job;
  const result: ChunkResult = { id, from, to, range: [], at: [] };
  const stack: Stack = [];
  const sizes = new Set(job.sizes);
  let prev: string | undefined;
  // Read in batches: fewer rows alive at once means less for the garbage collector to copy.
  let batchFrom = from;
  let full: RawAuditRow[] | undefined;
  let rows: unknown[][] = [];
  const fail = (seq: number, what: string): ChunkResult => ({ ...result, problem: { seq, what } });
  const stored = deep ? storedNodes(reader, from, to) : undefined;
  const tally = deep && job.zones ? new StatsTally(new Map(job.zones), dayOf) : undefined;
  let prevTs: unknown;
  /** The stored node (level, index) as a latin1 digest, '' when there is none. */
  const storedAt = (level: number, index: number) => stored![level]?.get(index) ?? '';
  for (let seq = from; seq <= to; seq++) {
    const i = seq - batchFrom;
    if (seq === from || i === READ_BATCH) {
      batchFrom = seq;
      const batchTo = Math.min(to, seq + READ_BATCH - 1);
      full = deep ? reader.readDeep(seq, batchTo) : undefined;
      rows = full ? full.map((r) => [r.seq, r.hash, r.body]) : reader.read(seq, batchTo);
      if (rows.length !== batchTo - seq + 1) {
        const missing = rows.findIndex((row, k) => row[0] !== seq + k);
        return fail(missing < 0 ? seq + rows.length : seq + missing, 'seq');
      }
    }
    const row = rows[seq - batchFrom];
    if (row === undefined || row[0] !== seq) return fail(seq, 'seq');
    const body = row[2];
    if (typeof body !== 'string' || typeof row[1] !== 'string') return fail(seq, 'type');
    // The body's UTF-8 bytes once, after a 0x00: the leaf hashes all of it, the entry hash the rest.
    const bytes = utf8WithPrefix(body);
    const hash = sha256hex(bytes.subarray(1));
    if (hash !== row[1]) return fail(seq, 'hash');
    const prevHash = prevHashOf(body, seq);
    if (prevHash === undefined) return fail(seq, 'form');
    // The caller compares the first one with the hash of the job before (a hash it computed).
    if (seq === from) result.firstPrevHash = prevHash;
    else if (prevHash !== prev) return fail(seq, 'link');
    prev = hash;
    if (full) {
      let parsed: Record<string, unknown>;
      try {
        parsed = parseBody(body);
        if (parsed.seq !== seq || parsed.prevHash !== prevHash) return fail(seq, 'form');
        checkColumns(full[seq - batchFrom], parsed);
        const late = timeOrderBreak(job.orderedFrom, seq, parsed.ts, seq === from ? undefined : prevTs);
        if (late) throw late;
      } catch (error) {
        if (!(error instanceof Broken)) throw error;
        return fail(seq, error.reason);
      }
      if (seq === from) result.firstTs = parsed.ts as string;
      prevTs = parsed.ts;
      tally?.add(parsed as unknown as CountedEntry);
    }

    let subtree = { hash: sha256latin1(bytes), size: 1 };
    let level = 0;
    if (stored && storedAt(0, seq - 1) !== subtree.hash) return fail(seq, 'node');
    while (stack.length > 0 && stack[stack.length - 1].size === subtree.size) {
      const left = stack.pop()!;
      subtree = { hash: nodeLatin1(left.hash, subtree.hash), size: subtree.size * 2 };
      level++;
      if (stored && storedAt(level, seq / subtree.size - 1) !== subtree.hash) return fail(seq, 'node');
    }
    stack.push(subtree);
    if (sizes.has(seq)) result.at.push({ size: seq, head: hash, range: hexRange(stack) });
  }
  result.lastHash = prev;
  result.range = hexRange(stack);
  if (full) result.lastTs = prevTs as string;
  if (tally) result.counts = [...tally.counts];
  return result;
}
