/**
 * Receipts: what a partner keeps to prove, later and without trusting the gateway, that an entry is in
 * the log. A receipt holds the entry's canonical body and hash, its leaf index, a signed checkpoint
 * and the inclusion proof from the entry's leaf to the checkpoint's root. Verifying needs nothing but
 * the receipt and the gateway's public key.
 *
 * A receipt is canonical JSON (RFC 8785) and is checked byte for byte: every field is either covered
 * by the signature or the proof, or must equal what they imply, so changing any byte makes it fail.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson, entryHash } from './chain';
import { checkCheckpoint } from './checkpoint';
import { fromHex, leafHash, rootFromInclusionProof } from './merkle';
import type { Checkpoint } from './types';
import { Broken, parseBody } from './verify';

export const RECEIPT_TYPE = 'fsg.receipt/v1';
const RECEIPT_FIELDS = ['checkpoint', 'entry', 'entryHash', 'inclusionProof', 'leafIndex', 'seq', 'type'];

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
  return {
    type: RECEIPT_TYPE,
    seq: stored.seq,
    leafIndex: stored.seq - 1,
    entry: stored.body,
    entryHash: stored.hash,
    checkpoint,
    inclusionProof,
  };
}

/** The file form of a receipt: its canonical JSON and a newline. */
export function receiptText(receipt: Receipt): string {
  return `${canonicalJson(receipt)}\n`;
}

export type ReceiptCheck =
  | {
      ok: true;
      seq: number;
      type: string;
      requestId: string | null;
      partners: string[];
      treeSize: number;
      signedAt: string;
      keyId: string;
    }
  | { ok: false; problem: string };

const fail = (problem: string): ReceiptCheck => ({ ok: false, problem });

/** Checks a receipt file's bytes against the gateway's public key. */
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
  const canonical = canonicalJson(value);
  if (text !== canonical && text !== `${canonical}\n`) {
    return fail('the receipt is not in its canonical form (RFC 8785): it was edited');
  }
  const r = value as Record<string, unknown>;
  const keys = Object.keys(r).sort();
  if (keys.length !== RECEIPT_FIELDS.length || keys.some((k, i) => k !== RECEIPT_FIELDS[i])) {
    return fail(`receipt fields are [${keys.join(', ')}], expected [${RECEIPT_FIELDS.join(', ')}]`);
  }
  if (r.type !== RECEIPT_TYPE) return fail(`not a ${RECEIPT_TYPE} receipt`);
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
  if (r.leafIndex !== (body.seq as number) - 1) return fail('leafIndex is not seq - 1');

  const check = checkCheckpoint(r.checkpoint, publicKey);
  if (!check.ok) return fail(check.problem);
  const checkpoint = check.checkpoint;
  const seq = body.seq as number;
  if (checkpoint.treeSize < seq) {
    return fail(`the checkpoint covers ${checkpoint.treeSize} entries, not entry #${seq}`);
  }
  if (checkpoint.treeSize === seq && checkpoint.headHash !== r.entryHash) {
    return fail('the checkpoint names another entry as its head');
  }
  if (!Array.isArray(r.inclusionProof)) return fail('inclusionProof is not a list');
  const proof = r.inclusionProof.map(fromHex);
  if (proof.some((p) => p === undefined))
    return fail('inclusionProof holds something other than sha256 hashes');
  const root = rootFromInclusionProof(seq - 1, checkpoint.treeSize, leafHash(r.entry), proof as Buffer[]);
  if (!root) return fail(`the inclusion proof does not fit a tree of ${checkpoint.treeSize} entries`);
  if (root.toString('hex') !== checkpoint.rootHash) {
    return fail('the inclusion proof does not lead to the signed root');
  }
  return {
    ok: true,
    seq,
    type: body.type as string,
    requestId: body.requestId as string | null,
    partners: body.partners as string[],
    treeSize: checkpoint.treeSize,
    signedAt: checkpoint.timestamp,
    keyId: checkpoint.keyId,
  };
}
