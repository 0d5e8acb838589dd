/**
 * The sequential verifier (verify-log.ts) on a log database: the rows, the checkpoints and the stored
 * Merkle tree read from their own read-only connections. `verifyLogFile` checks the whole log (what the
 * parallel verifier falls back to, to name a finding); `verifyTail` only the entries since the newest
 * checkpoint, anchored in it (what the gateway checks at start-up, before it signs again).
 */
import type { KeyObject } from 'node:crypto';
import { openStoredTree, readRawAuditRows, readRawCheckpoints, readTimeOrder } from '../store/sqlite/audit';
import { verifyLog, type LogVerifyInput, type LogVerifyReport } from './verify-log';

export interface FileVerifyInput extends Omit<LogVerifyInput, 'rows' | 'tree' | 'resume' | 'orderedFrom'> {
  /** The SQLite database of the log. */
  file: string;
}

export async function verifyLogFile(input: FileVerifyInput): Promise<LogVerifyReport> {
  const tree = openStoredTree(input.file);
  try {
    return await verifyLog({
      ...input,
      rows: readRawAuditRows(input.file),
      tree,
      orderedFrom: readTimeOrder(input.file),
    });
  } finally {
    tree?.close();
  }
}

/**
 * The entries after the newest stored checkpoint: its signature with `publicKey`, its root from the
 * stored nodes, the chain from its head entry on, and every leaf and node since; with no checkpoint at
 * all, the whole log (and that alone fails unless allowed).
 */
export async function verifyTail(input: {
  file: string;
  publicKey: KeyObject;
  allowNoCheckpoint?: boolean;
}): Promise<LogVerifyReport> {
  const stored = readRawCheckpoints(input.file);
  const newest = stored[stored.length - 1];
  const tree = openStoredTree(input.file);
  try {
    return await verifyLog({
      ...input,
      // From the head entry the newest checkpoint names (if it is refused, no row is read).
      rows: readRawAuditRows(input.file, 1000, treeSizeOf(newest) - 1),
      checkpoints: newest === undefined ? [] : [newest],
      tree,
      resume: true,
      orderedFrom: readTimeOrder(input.file),
    });
  } finally {
    tree?.close();
  }
}

/** The tree size a stored checkpoint claims (0 when none or unreadable: then everything is read). */
function treeSizeOf(text: string | undefined): number {
  try {
    const size = (JSON.parse(text ?? 'null') as { treeSize?: unknown } | null)?.treeSize;
    return Number.isSafeInteger(size) && (size as number) > 0 ? (size as number) : 0;
  } catch {
    return 0;
  }
}
