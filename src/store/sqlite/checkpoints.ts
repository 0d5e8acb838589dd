/**
 * Signed checkpoints in SQLite. A checkpoint is made in one IMMEDIATE transaction: the head is read,
 * the tree root computed from the stored nodes and signed, and the row written, so no append can come
 * between the root and its signature.
 */
import type Database from 'better-sqlite3';
import { canonicalJson } from '../../audit/chain';
import { assertSignedHead, toSign as whatToSign, type ToSign } from '../../audit/checkpoint';
import type { NodeSource } from '../../audit/merkle';
import type { Checkpoint, TreeHead } from '../../audit/types';

export type { ToSign } from '../../audit/checkpoint';

interface CheckpointRow {
  body: string;
}

export interface SqliteCheckpoints {
  /** Signs the current head unless a checkpoint already covers it; returns the newest checkpoint. */
  create(sign: (head: TreeHead) => Checkpoint): Checkpoint | undefined;
  /**
   * The two halves of `create` for a caller that signs elsewhere (the lookup writer's thread reads and
   * stores, the main thread signs), each run inside a transaction the caller holds: the head to sign,
   * and storing its signed checkpoint. A checkpoint of size n stays true of entries 1..n whatever is
   * appended between the two.
   */
  toSign(): ToSign;
  save(checkpoint: Checkpoint, head: TreeHead): Checkpoint;
  latest(): Checkpoint | undefined;
  at(treeSize: number): Checkpoint | undefined;
  list(page: { afterSize?: number; limit: number; order: 'asc' | 'desc' }): Checkpoint[];
  /** Every stored body, unparsed, by tree size, for the verifier. */
  raw(): string[];
}

export function createCheckpoints(db: Database.Database, nodes: NodeSource): SqliteCheckpoints {
  const head = db.prepare<[], { seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  const latest = db.prepare<[], CheckpointRow>(
    'SELECT body FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
  );
  const at = db.prepare<[number], CheckpointRow>('SELECT body FROM audit_checkpoints WHERE tree_size = ?');
  const asc = db.prepare<[number, number], CheckpointRow>(
    'SELECT body FROM audit_checkpoints WHERE tree_size > ? ORDER BY tree_size ASC LIMIT ?',
  );
  const desc = db.prepare<[number, number], CheckpointRow>(
    'SELECT body FROM audit_checkpoints WHERE tree_size < ? ORDER BY tree_size DESC LIMIT ?',
  );
  const all = db.prepare<[], CheckpointRow>('SELECT body FROM audit_checkpoints ORDER BY tree_size');
  const insert = db.prepare('INSERT INTO audit_checkpoints (tree_size, ts, body) VALUES (?, ?, ?)');
  const parse = (row: CheckpointRow | undefined) => (row ? (JSON.parse(row.body) as Checkpoint) : undefined);

  const toSign = (): ToSign => whatToSign(head.get(), parse(latest.get()), nodes);
  const save = (checkpoint: Checkpoint, treeHead: TreeHead): Checkpoint => {
    assertSignedHead(checkpoint, treeHead);
    // Signed elsewhere, stored later: another writer may have covered this head meanwhile.
    const last = parse(latest.get());
    if (last && last.treeSize >= checkpoint.treeSize) return last;
    insert.run(checkpoint.treeSize, checkpoint.timestamp, canonicalJson(checkpoint));
    return checkpoint;
  };
  // One IMMEDIATE transaction: no append can come between the root and its signature.
  const create = db.transaction((sign: (head: TreeHead) => Checkpoint): Checkpoint | undefined => {
    const what = toSign();
    return 'head' in what ? save(sign(what.head), what.head) : what.covered;
  });

  return {
    create: (sign) => create.immediate(sign),
    toSign,
    save,
    latest: () => parse(latest.get()),
    at: (treeSize) => parse(at.get(treeSize)),
    list: ({ afterSize, limit, order }) => {
      const n = Math.max(0, Math.floor(limit));
      const rows =
        order === 'asc' ? asc.all(afterSize ?? 0, n) : desc.all(afterSize ?? Number.MAX_SAFE_INTEGER, n);
      return rows.map((r) => JSON.parse(r.body) as Checkpoint);
    },
    raw: () => all.all().map((r) => r.body),
  };
}
