/**
 * One job of the fast verifier (verify-fast.ts): the entries `from..to` of a log, read straight from the
 * database as bytes, checked for the hash chain and reduced to the Merkle subtrees they make. Runs in a
 * worker thread (verify-fast-worker.ts) or in the caller's thread; it reads, hashes and answers, and
 * never decides: the caller stitches the jobs together and compares with the signed checkpoints.
 *
 * Per entry: the seq column is the entry's position, body and hash are TEXT, the body's bytes are valid
 * UTF-8 (so they are exactly the bytes the writer hashed from its string), sha256(body) is the stored
 * hash, the body's own seq is the position and its prevHash is the hash of the entry before it (within
 * the job; the first entry's prevHash goes back to the caller), and the leaf SHA-256(0x00 ‖ body).
 *
 * seq and prevHash are found in the bytes without parsing the JSON. A body the gateway writes is the
 * RFC 8785 form of exactly BODY_FIELDS, keys sorted: `…,"data":{…},"outcome":…,"partners":[…],
 * "prevHash":"<64 hex>","requestId":…,"seq":<n>,"ts":"…","type":"…"}`. In JSON text a quote that ends a
 * key is never escaped, so `"prevHash":"` can only occur where a key ending in `prevHash` starts a string
 * value; `data` (the only part that nests) comes before the top-level prevHash, and what follows it
 * (requestId, seq, ts, type: strings, null, an integer) cannot hold an unescaped `":"`. So the LAST
 * occurrence is the top-level key, and it must be followed by 64 hex digits and `","requestId":`; the last
 * `,"seq":` after it must be followed by the position's digits and `,"ts":"`. Anything else is reported
 * as a problem and the caller falls back to the full verifier. For a body that is not canonical (which
 * only the full verifier's deep checks can tell) the two readings could differ; such a body was not
 * written by the gateway, and under a signed checkpoint it cannot reproduce the signed root anyway,
 * because the leaves are hashes of the exact bytes.
 */
import crypto from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import Database from 'better-sqlite3';

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
}

/** Reads the rows of a job: [seq, hash, 0x00 ‖ body as bytes, 1 when body and hash are TEXT]. */
export type ChunkReader = (from: number, to: number) => unknown[][];

export function openChunkReader(file: string): { read: ChunkReader; close: () => void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  // The leaf's input straight from SQLite: the prefix byte and the stored UTF-8 bytes, no JS string.
  const stmt = db
    .prepare<[number, number], unknown[]>(
      `SELECT seq, hash, CAST(x'00' || body AS BLOB), typeof(body) = 'text' AND typeof(hash) = 'text'
         FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq`,
    )
    .raw(true);
  return { read: (from, to) => stmt.all(from, to), close: () => db.close() };
}

const sha256 = (data: Uint8Array): Buffer => crypto.hash('sha256', data, 'buffer');
const sha256hex = (data: Uint8Array): string => crypto.hash('sha256', data, 'hex');

const scratch = Buffer.alloc(65);
scratch[0] = 0x01;
/** RFC 9162 node hash, SHA-256(0x01 ‖ left ‖ right), one-shot over a reused buffer. */
export function node(left: Buffer, right: Buffer): Buffer {
  left.copy(scratch, 1);
  right.copy(scratch, 33);
  return sha256(scratch);
}

const PREV_KEY = Buffer.from('"prevHash":"');
const AFTER_PREV = Buffer.from('","requestId":');
const SEQ_KEY = Buffer.from(',"seq":');
const AFTER_SEQ = Buffer.from(',"ts":"');

function startsAt(bytes: Buffer, at: number, what: Buffer): boolean {
  return (
    at >= 0 &&
    at + what.length <= bytes.length &&
    bytes.compare(what, 0, what.length, at, at + what.length) === 0
  );
}

/** The 64 characters written as the top-level prevHash of a body whose seq is `seq`; else undefined. */
export function prevHashOf(body: Buffer, seq: number): string | undefined {
  const key = body.lastIndexOf(PREV_KEY);
  if (key < 0) return undefined;
  const start = key + PREV_KEY.length;
  const end = start + 64;
  if (!startsAt(body, end, AFTER_PREV)) return undefined;
  const seqKey = body.lastIndexOf(SEQ_KEY);
  if (seqKey < end) return undefined;
  const digits = String(seq);
  const at = seqKey + SEQ_KEY.length;
  if (body.toString('latin1', at, at + digits.length) !== digits) return undefined;
  if (!startsAt(body, at + digits.length, AFTER_SEQ)) return undefined;
  return body.toString('latin1', start, end);
}

type Stack = { hash: Buffer; size: number }[];

const hexRange = (stack: Stack): Subtree[] =>
  stack.map((s) => ({ hash: s.hash.toString('hex'), size: s.size }));

/** Checks entries from..to (a job aligned on a power-of-two boundary of the tree; see verify-fast.ts). */
export function verifyChunk(read: ChunkReader, job: ChunkJob): ChunkResult {
  const { id, from, to } = job;
  const result: ChunkResult = { id, from, to, range: [], at: [] };
  const rows = read(from, to);
  const stack: Stack = [];
  const sizes = new Set(job.sizes);
  let prev: string | undefined;
  for (let i = 0; i <= to - from; i++) {
    const seq = from + i;
    const row = rows[i];
    const fail = (what: string): ChunkResult => ({ ...result, problem: { seq, what } });
    if (row === undefined || row[0] !== seq) return fail('seq');
    if (row[3] !== 1 || !Buffer.isBuffer(row[2]) || typeof row[1] !== 'string') return fail('type');
    const leafInput = row[2];
    const body = leafInput.subarray(1);
    if (!isUtf8(body)) return fail('utf-8');
    const hash = sha256hex(body);
    if (hash !== row[1]) return fail('hash');
    const prevHash = prevHashOf(body, seq);
    if (prevHash === undefined) return fail('form');
    // The caller compares the first one with the hash of the job before (a hash it computed).
    if (i === 0) result.firstPrevHash = prevHash;
    else if (prevHash !== prev) return fail('link');
    prev = hash;

    let subtree = { hash: sha256(leafInput), size: 1 };
    while (stack.length > 0 && stack[stack.length - 1].size === subtree.size) {
      const left = stack.pop()!;
      subtree = { hash: node(left.hash, subtree.hash), size: subtree.size * 2 };
    }
    stack.push(subtree);
    if (sizes.has(seq)) result.at.push({ size: seq, head: hash, range: hexRange(stack) });
  }
  if (rows.length !== to - from + 1) return { ...result, problem: { seq: to + 1, what: 'seq' } };
  result.lastHash = prev;
  result.range = hexRange(stack);
  return result;
}
