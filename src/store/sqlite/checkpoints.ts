/**
 * Signed checkpoints in SQLite. A checkpoint is made in one IMMEDIATE transaction: the head is read,
 * the tree root computed from the stored nodes and signed, and the row written, so no append can come
 * between the root and its signature.
 */
import type Database from 'better-sqlite3';
import { canonicalJson } from '../../audit/chain';
import { subtreeRoot, toHex, type NodeSource } from '../../audit/merkle';
import type { Checkpoint, TreeHead } from '../../audit/types';

interface CheckpointRow {
  body: string;
}

export interface SqliteCheckpoints {
  /** Signs the current head unless a checkpoint already covers it; returns the newest checkpoint. */
  create(sign: (head: TreeHead) => Checkpoint): Checkpoint | undefined;
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

  const create = db.transaction((sign: (head: TreeHead) => Checkpoint): Checkpoint | undefined => {
    const top = head.get();
    if (!top) return undefined;
    const last = parse(latest.get());
    if (last && last.treeSize >= top.seq) return last;
    const treeHead: TreeHead = {
      treeSize: top.seq,
      rootHash: toHex(subtreeRoot(nodes, 0, top.seq)),
      headHash: top.hash,
    };
    const checkpoint = sign(treeHead);
    if (
      checkpoint.treeSize !== treeHead.treeSize ||
      checkpoint.rootHash !== treeHead.rootHash ||
      checkpoint.headHash !== treeHead.headHash
    ) {
      throw new Error('the signed checkpoint does not match the tree head');
    }
    insert.run(checkpoint.treeSize, checkpoint.timestamp, canonicalJson(checkpoint));
    return checkpoint;
  });

  return {
    create: (sign) => create.immediate(sign),
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
