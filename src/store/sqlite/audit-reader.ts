/**
 * The audit log read as it is, read-only and untrusted, for the offline verifiers (src/audit/verify-fast.ts,
 * verify-chunk.ts, verify-file.ts): the seq span, raw rows (a range, or all in batches), the stored
 * Merkle nodes, the raw checkpoints, the time order and the stored statistics. Each reader opens a
 * read-only connection of its own; nothing here checks anything: what is checked, and how, is src/audit's.
 */
import Database from 'better-sqlite3';
import type { RawAuditRow } from '../../audit/verify';
import type { StoredTree } from '../../audit/verify-log';
import type { AuditChunkRows, AuditLogReader, StoredStats } from '../port';
import { readStoredStats } from './audit-stats';

/** The reader of the log in a SQLite file (the `sqlite` kind of openLogReader). */
export function openSqliteLogReader(file: string): AuditLogReader {
  return {
    source: { kind: 'sqlite', file },
    span: (stats) => readSpan(file, stats),
    timeOrder: () => readTimeOrder(file),
    rawCheckpoints: () => readRawCheckpoints(file),
    rawRows: (batch, afterSeq) => readRawAuditRows(file, batch, afterSeq),
    openTree: () => openStoredTree(file),
    openChunkRows: (deep) => openChunkRows(file, deep),
  };
}

/**
 * The first and last seq and, with `stats`, the stored counts, in one snapshot (the entries 1..n and the
 * counts the store wrote with them); nothing but the encoding when the text is not UTF-8.
 */
export function readSpan(
  file: string,
  stats: boolean,
): { utf8: boolean; lo: number | null; hi: number | null; stats?: StoredStats } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (db.pragma('encoding', { simple: true }) !== 'UTF-8') return { utf8: false, lo: null, hi: null };
    const span = db.prepare<[], { lo: number | null; hi: number | null }>(
      'SELECT min(seq) AS lo, max(seq) AS hi FROM audit_log',
    );
    return db.transaction(() => {
      const { lo, hi } = span.get()!;
      const stored = stats ? readStoredStats(db) : undefined;
      return { utf8: true, lo, hi, ...(stored ? { stats: stored } : {}) };
    })();
  } finally {
    db.close();
  }
}

/**
 * The rows of the parallel verifier's jobs, from one read-only connection: one plain range query for
 * [seq, hash, body]; with `deep`, the raw rows, the partner and keyed-hash indexes (one grouped range
 * query each, the same JSON arrays as rawColumns' correlated subqueries: '[]' where a seq has no row)
 * and the stored nodes (one range query per level).
 */
export function openChunkRows(file: string, deep = false): AuditChunkRows {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const tree = deep ? openStoredTree(file) : undefined;
  const fast = db
    .prepare<[number, number], unknown[]>(
      'SELECT seq, hash, body FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq',
    )
    .raw(true);
  const rows = db.prepare<[number, number], RawAuditRow>(
    `SELECT seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id, outcome, body,
            prev_hash, hash FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq`,
  );
  const partners = db
    .prepare<[number, number], [number, string]>(
      `SELECT seq, json_group_array(partner) FROM audit_partners
        WHERE seq >= ? AND seq <= ? GROUP BY seq ORDER BY seq`,
    )
    .raw(true);
  const hashes = hasTable(db, 'audit_hashes')
    ? db
        .prepare<[number, number], [number, string]>(
          `SELECT seq, json_group_array(hash) FROM audit_hashes
            WHERE seq >= ? AND seq <= ? GROUP BY seq ORDER BY seq`,
        )
        .raw(true)
    : undefined;
  const byIndex = (found: [number, string][]) => new Map(found);
  return {
    read: (from, to) => fast.all(from, to),
    readDeep(from, to) {
      const list = rows.all(from, to);
      const p = byIndex(partners.all(from, to));
      const h = hashes && byIndex(hashes.all(from, to));
      for (const row of list) {
        row.partner_index = p.get(row.seq) ?? '[]';
        if (h) row.hash_index = h.get(row.seq) ?? '[]';
      }
      return list;
    },
    nodes: (level, lo, hi) => tree?.nodes(level, lo, hi),
    close: () => {
      tree?.close();
      db.close();
    },
  };
}

/** The raw columns the verifier reads; the derived tables only when the schema has them. */
export function rawColumns(derived: boolean): string {
  const base = `a.seq, a.ts, a.type, a.actor_user, a.actor_partner, a.partners, a.request_id, a.agreement_id,
  a.outcome, a.body, a.prev_hash, a.hash,
  (SELECT json_group_array(p.partner) FROM audit_partners p WHERE p.seq = a.seq) AS partner_index`;
  if (!derived) return base;
  return (
    base +
    `,
  (SELECT json_group_array(h.hash) FROM audit_hashes h WHERE h.seq = a.seq) AS hash_index,
  (SELECT t.hash FROM audit_tree t WHERE t.level = 0 AND t.idx = a.seq - 1) AS leaf`
  );
}

function hasTable(db: Database.Database, name: string): boolean {
  return (
    db.prepare("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  );
}

/**
 * Streams the stored rows in seq order, in batches, from a read-only connection, without parsing
 * anything: input for the verifier (`fsg audit verify`). Keyset paging keeps memory constant and
 * lets the gateway keep appending meanwhile (new entries only extend what is read).
 */
export async function* readRawAuditRows(
  file: string,
  batch = 1000,
  afterSeq = Number.MIN_SAFE_INTEGER,
): AsyncIterable<RawAuditRow> {
  const size = Math.max(1, Math.floor(batch));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const derived = hasTable(db, 'audit_tree') && hasTable(db, 'audit_hashes');
    const page = db.prepare<[number, number], RawAuditRow>(
      'SELECT ' + rawColumns(derived) + ' FROM audit_log a WHERE a.seq > ? ORDER BY a.seq LIMIT ?',
    );
    let after = afterSeq;
    for (;;) {
      const rows = page.all(after, size);
      for (const row of rows) yield row;
      if (rows.length < size) return;
      after = rows[rows.length - 1].seq;
      // Let other work run between batches of a long verification.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    db.close();
  }
}

/**
 * The entry from which the log keeps its times in order (audit_ts_order, read-only and untrusted: the
 * verifier checks the entries against it); undefined for a database from before it (schema version < 11).
 */
export function readTimeOrder(file: string): number | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!hasTable(db, 'audit_ts_order')) return undefined;
    const from = db.prepare<[], unknown>('SELECT from_seq FROM audit_ts_order').pluck().all();
    // A row removed or added is the order claimed from the first entry on: each entry is checked then.
    return from.length === 1 && Number.isSafeInteger(from[0]) ? (from[0] as number) : 1;
  } finally {
    db.close();
  }
}

/** The stored checkpoints as text (unparsed, untrusted), oldest first, from a read-only connection. */
export function readRawCheckpoints(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!hasTable(db, 'audit_checkpoints')) return [];
    return db
      .prepare<[], { body: string }>('SELECT body FROM audit_checkpoints ORDER BY tree_size')
      .all()
      .map((r) => r.body);
  } finally {
    db.close();
  }
}

/**
 * The stored Merkle tree of a database, read-only and untrusted: the verifier compares every node with
 * what the bodies make. Undefined for a database from before the tree (schema version < 3). Close it.
 */
export function openStoredTree(file: string): (StoredTree & { close(): void }) | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  if (!hasTable(db, 'audit_tree')) {
    db.close();
    return undefined;
  }
  const node = db.prepare<[number, number], Buffer>(
    'SELECT hash FROM audit_tree WHERE level = ? AND idx = ?',
  );
  const range = db.prepare<[number, number, number], { index: number; hash: Buffer }>(
    'SELECT idx AS "index", hash FROM audit_tree WHERE level = ? AND idx >= ? AND idx <= ? ORDER BY idx',
  );
  const last = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM audit_log');
  const after = db.prepare<[number, number], number>(
    'SELECT idx FROM audit_tree WHERE level = ? AND idx >= ? ORDER BY idx LIMIT 1',
  );
  for (const stmt of [node, last, after]) stmt.pluck();
  // One snapshot: the end of the log and the nodes past it, whatever is appended meanwhile.
  const beyond = db.transaction(() => {
    const lastSeq = last.get()!;
    // A node of level l and index i covers entries up to (i + 1) * 2^l: past lastSeq when i >= lastSeq / 2^l.
    for (let level = 0; level < 63; level++) {
      const index = after.get(level, Math.floor(lastSeq / 2 ** level));
      if (index !== undefined) return { lastSeq, node: { level, index } };
    }
    return { lastSeq };
  });
  return {
    node: (level, index) => node.get(level, index),
    nodes: (level, lo, hi) => range.all(level, lo, hi),
    beyond: () => beyond(),
    close: () => db.close(),
  };
}
