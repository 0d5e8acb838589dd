/**
 * A partner holds the log to its past: given a signed checkpoint it kept earlier and a later one, the
 * RFC 9162 consistency proof shows that the later tree extends the earlier one, entry for entry. A
 * rewritten log (an entry changed, removed or reordered before the old size) has no such proof, even
 * when every checkpoint of it is validly signed. The proof may come from anyone (the gateway, a file):
 * only the two checkpoints, checked against the pinned key, are trusted.
 */
import type { KeyObject } from 'node:crypto';
import { checkCheckpoint } from './checkpoint';
import { fromHex, verifyConsistency } from './merkle';

export type ConsistencyCheck =
  | { ok: true; oldSize: number; newSize: number; newSignedAt: string; keyId: string }
  | { ok: false; problem: string };

export function checkConsistency(
  oldValue: unknown,
  newValue: unknown,
  proofValue: unknown,
  publicKey: KeyObject,
): ConsistencyCheck {
  const older = checkCheckpoint(oldValue, publicKey);
  if (!older.ok) return { ok: false, problem: `the old checkpoint: ${older.problem}` };
  const newer = checkCheckpoint(newValue, publicKey);
  if (!newer.ok) return { ok: false, problem: `the new checkpoint: ${newer.problem}` };
  const a = older.checkpoint;
  const b = newer.checkpoint;
  if (b.treeSize < a.treeSize) {
    return {
      ok: false,
      problem: `the new checkpoint signs ${b.treeSize} entries, fewer than the old one's ${a.treeSize}: the log lost entries`,
    };
  }
  if (!Array.isArray(proofValue)) return { ok: false, problem: 'the consistency proof is not a list' };
  const proof = proofValue.map(fromHex);
  if (proof.some((p) => p === undefined)) {
    return { ok: false, problem: 'the consistency proof holds something other than sha256 hashes' };
  }
  const consistent =
    verifyConsistency(
      a.treeSize,
      b.treeSize,
      fromHex(a.rootHash)!,
      fromHex(b.rootHash)!,
      proof as Buffer[],
    ) &&
    (a.treeSize !== b.treeSize || a.headHash === b.headHash);
  if (!consistent) {
    return {
      ok: false,
      problem: `the tree of ${b.treeSize} entries does not extend the tree of ${a.treeSize} entries: the log was rewritten, or the proof is not theirs`,
    };
  }
  return { ok: true, oldSize: a.treeSize, newSize: b.treeSize, newSignedAt: b.timestamp, keyId: b.keyId };
}
