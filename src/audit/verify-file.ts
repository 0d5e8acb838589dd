/**
 * The sequential verifier (verify-log.ts) on a stored log: the rows, the checkpoints and the stored
 * Merkle tree read through the store's read-only reader (AuditLogReader, port.ts), each on a connection
 * of its own. `verifyLogFile` checks the whole log (what the parallel verifier falls back to, to name a
 * finding); `verifyTail` only the entries since the newest checkpoint, anchored in it (what the gateway
 * checks at start-up, before it signs again).
 */
import type { KeyObject } from 'node:crypto';
import { openLogReader } from '../store/log-reader';
import { claimedTreeSize } from './checkpoint';
import type { AuditLogReader } from '../store/port';
import { verifyLog, type LogVerifyInput, type LogVerifyReport } from './verify-log';

/** Where the log is: a store's reader, or the path of a SQLite file (as `fsg audit verify --db` gives it). */
export type LogLocation = { log: AuditLogReader; file?: undefined } | { file: string; log?: undefined };

/** The reader of a log location. */
export async function logReaderOf(at: LogLocation, scope: 'all' | 'tail' = 'all'): Promise<AuditLogReader> {
  return at.log ?? openLogReader({ kind: 'sqlite', file: at.file }, scope);
}

export type FileVerifyInput = Omit<LogVerifyInput, 'rows' | 'tree' | 'resume' | 'orderedFrom'> & LogLocation;

export async function verifyLogFile(input: FileVerifyInput): Promise<LogVerifyReport> {
  const { file: _file, log: _log, ...rest } = input;
  const log = await logReaderOf(input);
  const tree = log.openTree();
  try {
    return await verifyLog({
      ...rest,
      rows: log.rawRows(),
      tree,
      orderedFrom: log.timeOrder(),
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
export async function verifyTail(
  input: {
    publicKey: KeyObject;
    allowNoCheckpoint?: boolean;
  } & LogLocation,
): Promise<LogVerifyReport> {
  const { file: _file, log: _log, ...rest } = input;
  const log = await logReaderOf(input, 'tail');
  const stored = log.rawCheckpoints();
  const newest = stored[stored.length - 1];
  const tree = log.openTree();
  try {
    return await verifyLog({
      ...rest,
      // From the head entry the newest checkpoint names (if it is refused, no row is read).
      rows: log.rawRows(1000, claimedTreeSize(newest) - 1),
      checkpoints: newest === undefined ? [] : [newest],
      tree,
      resume: true,
      orderedFrom: log.timeOrder(),
    });
  } finally {
    tree?.close();
  }
}
