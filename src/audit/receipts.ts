/**
 * Receipts: what a partner keeps to prove, later and without trusting the gateway, that an entry is in
 * the log. A receipt holds the entry's canonical body and hash, its leaf index, a signed checkpoint
 * and the inclusion proof from the entry's leaf to the checkpoint's root. Verifying needs nothing but
 * the receipt and the gateway's public key.
 *
 * A receipt is served and saved as canonical JSON (RFC 8785), but it is checked by value, not by its
 * bytes: no signature covers the receipt's JSON as a whole, so its layout proves nothing, and a receipt
 * saved as a browser or jq shows it (pretty-printed, keys in any order) must still verify. What holds
 * it is that every field is covered by the signature (the checkpoint's statement, canonicalised before
 * it is checked), by the hashes (the entry string, exactly as hashed) or by the proof, or must equal
 * what they imply; the field set is exact, hex is lower-case only and no key may appear twice, so one
 * value can be written one way only and changing a byte of any value makes the receipt fail.
 *
 * A partner's DPO whose view of an entry is cut down (views.ts) cannot be given its body: it gets a
 * redacted receipt, the same proof from the entry's leaf hash (sha256(0x00 ‖ body)) to the signed root,
 * without the body. It proves that entry #seq with that leaf is in the signed log; anyone later shown
 * the body (by the requester's or the supervisor's DPO) can check it against the leaf.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson, entryHash } from './chain';
import { checkCheckpoint } from './checkpoint';
import { fromHex, leafHash, rootFromInclusionProof } from './merkle';
import type { Checkpoint } from './types';
import { repeatedKey } from './strict-json';
import { Broken, parseBody } from './verify';

export const RECEIPT_TYPE = 'fsg.receipt/v1';
export const REDACTED_RECEIPT_TYPE = 'fsg.redacted-receipt/v1';
const RECEIPT_FIELDS = ['checkpoint', 'entry', 'entryHash', 'inclusionProof', 'leafIndex', 'seq', 'type'];
const REDACTED_FIELDS = ['checkpoint', 'inclusionProof', 'leafHash', 'leafIndex', 'redacted', 'seq', 'type'];

export interface Receipt {
  type: typeof RECEIPT_TYPE;
  /** The entry's seq (1-based) and its leaf index in the tree (seq - 1). */
  seq: number;
  leafIndex: number;
  /** The entry's canonical body, exactly as hashed. */
  entry: string;
  entryHash: string;
  checkpoint: Checkpoint;
  /** Hex hashes from the leaf's sibling up to the root (RFC 9162 §2.1.3). */
  inclusionProof: string[];
}

export function buildReceipt(
  stored: { seq: number; body: string; hash: string },
  checkpoint: Checkpoint,
  inclusionProof: string[],
): Receipt {
  return inCanonicalOrder({
    type: RECEIPT_TYPE,
    seq: stored.seq,
    leafIndex: stored.seq - 1,
    entry: stored.body,
    entryHash: stored.hash,
    checkpoint,
    inclusionProof,
  });
}

/** Keys in RFC 8785 order, so a receipt served as JSON and saved compactly is its canonical file. */
function inCanonicalOrder<T>(receipt: T): T {
  return JSON.parse(canonicalJson(receipt)) as T;
}

/** A receipt without the entry's body: its leaf hash only, and what the viewer's view cuts. */
export interface RedactedReceipt {
  type: typeof REDACTED_RECEIPT_TYPE;
  seq: number;
  leafIndex: number;
  /** sha256(0x00 ‖ canonical body), hex: the leaf the proof starts from. */
  leafHash: string;
  /** What the viewer's view of the entry cuts (views.ts). */
  redacted: string[];
  checkpoint: Checkpoint;
  inclusionProof: string[];
}

export function buildRedactedReceipt(
  stored: { seq: number; body: string },
  redacted: string[],
  checkpoint: Checkpoint,
  inclusionProof: string[],
): RedactedReceipt {
  return inCanonicalOrder({
    type: REDACTED_RECEIPT_TYPE,
    seq: stored.seq,
    leafIndex: stored.seq - 1,
    leafHash: leafHash(stored.body).toString('hex'),
    redacted,
    checkpoint,
    inclusionProof,
  });
}

/** The file form of a receipt: its canonical JSON and a newline. */
export function receiptText(receipt: Receipt | RedactedReceipt): string {
  return `${canonicalJson(receipt)}\n`;
}

export type ReceiptCheck =
  | {
      ok: true;
      seq: number;
      /** The entry's type, request and partners; absent from a redacted receipt (no body in it). */
      type?: string;
      requestId?: string | null;
      partners?: string[];
      /** A redacted receipt: its leaf hash and what the view cut. */
      redacted?: { leafHash: string; cut: string[] };
      treeSize: number;
      signedAt: string;
      keyId: string;
    }
  | { ok: false; problem: string };

const fail = (problem: string): ReceiptCheck => ({ ok: false, problem });

/** Checks a receipt file's bytes (a receipt or a redacted one) against the gateway's public key. */
export function verifyReceipt(bytes: Uint8Array | string, publicKey: KeyObject): ReceiptCheck {
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('the receipt is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('the receipt is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('the receipt is not a JSON object');
  }
  const repeated = repeatedKey(text);
  if (repeated !== undefined) return fail(`the receipt holds the key "${repeated}" twice`);
  const r = value as Record<string, unknown>;
  const redacted = r.type === REDACTED_RECEIPT_TYPE;
  const fields = redacted ? REDACTED_FIELDS : RECEIPT_FIELDS;
  const keys = Object.keys(r).sort();
  if (keys.length !== fields.length || keys.some((k, i) => k !== fields[i])) {
    return fail(`receipt fields are [${keys.join(', ')}], expected [${fields.join(', ')}]`);
  }
  if (r.type !== RECEIPT_TYPE && !redacted) return fail(`not a ${RECEIPT_TYPE} receipt`);

  // What the proof starts from: the leaf of the entry's body, or (redacted) the leaf hash as given.
  let leaf: Buffer;
  let seq: number;
  let entry: { type: string; requestId: string | null; partners: string[] } | undefined;
  if (redacted) {
    const given = fromHex(r.leafHash);
    if (!given) return fail('leafHash is not a sha256 hash');
    if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return fail('seq is not an entry number');
    if (!Array.isArray(r.redacted) || !r.redacted.every((p) => typeof p === 'string')) {
      return fail('redacted is not a list of what was cut');
    }
    leaf = given;
    seq = r.seq as number;
  } else {
    if (typeof r.entry !== 'string') return fail('entry is not a string');
    if (entryHash(r.entry) !== r.entryHash) return fail('entryHash is not the sha256 of the entry');
    let body: Record<string, unknown>;
    try {
      body = parseBody(r.entry);
    } catch (error) {
      if (error instanceof Broken) return fail(`entry: ${error.message}`);
      throw error;
    }
    if (r.seq !== body.seq) return fail(`seq ${String(r.seq)} is not the entry's seq ${String(body.seq)}`);
    leaf = leafHash(r.entry);
    seq = body.seq as number;
    entry = {
      type: body.type as string,
      requestId: body.requestId as string | null,
      partners: body.partners as string[],
    };
  }
  if (r.leafIndex !== seq - 1) return fail('leafIndex is not seq - 1');

  const check = checkCheckpoint(r.checkpoint, publicKey);
  if (!check.ok) return fail(check.problem);
  const checkpoint = check.checkpoint;
  if (checkpoint.treeSize < seq) {
    return fail(`the checkpoint covers ${checkpoint.treeSize} entries, not entry #${seq}`);
  }
  if (!redacted && checkpoint.treeSize === seq && checkpoint.headHash !== r.entryHash) {
    return fail('the checkpoint names another entry as its head');
  }
  if (!Array.isArray(r.inclusionProof)) return fail('inclusionProof is not a list');
  const proof = r.inclusionProof.map(fromHex);
  if (proof.some((p) => p === undefined))
    return fail('inclusionProof holds something other than sha256 hashes');
  const root = rootFromInclusionProof(seq - 1, checkpoint.treeSize, leaf, proof as Buffer[]);
  if (!root) return fail(`the inclusion proof does not fit a tree of ${checkpoint.treeSize} entries`);
  if (root.toString('hex') !== checkpoint.rootHash) {
    return fail('the inclusion proof does not lead to the signed root');
  }
  return {
    ok: true,
    seq,
    ...(entry ?? { redacted: { leafHash: leaf.toString('hex'), cut: r.redacted as string[] } }),
    treeSize: checkpoint.treeSize,
    signedAt: checkpoint.timestamp,
    keyId: checkpoint.keyId,
  };
}
