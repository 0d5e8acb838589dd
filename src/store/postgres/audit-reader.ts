/**
 * The PostgreSQL log read as it is, read-only and untrusted, for the offline verifiers (verify-file.ts):
 * what the synchronous reader interface hands over (span, checkpoints, the stored tree) is loaded at
 * open in one read-only snapshot, and the rows are read afterwards up to that snapshot's head, so the
 * rows and the nodes agree however many instances keep appending. `tail` loads only the nodes the
 * entries after the newest checkpoint need (the gateway's start-up check), not the whole tree.
 */
import type pg from 'pg';
import type { RawAuditRow } from '../../audit/verify';
import type { StoredTree } from '../../audit/verify-log';
import { countKey, type StatsCount } from '../../audit/stats';
import type { AuditLogReader, LogSource, StoredStats } from '../port';
import { claimedTreeSize } from '../../audit/checkpoint';
import { RAW_ROWS } from './audit';
import { openPgPool } from './pool';

export type PgLogSource = Extract<LogSource, { kind: 'postgres' }>;

/** One level of the stored tree from index `start` on: 32 bytes per node, `present` where stored. */
interface Level {
  start: number;
  hashes: Buffer;
  present: Uint8Array;
}

const NODE_PAGE = 50_000;

export async function openPgLogReader(
  source: PgLogSource,
  scope: 'all' | 'tail' = 'all',
): Promise<AuditLogReader> {
  const pool = openPgPool({ connectionString: source.url, schema: source.schema, max: 1 });
  let snapshot: Awaited<ReturnType<typeof load>>;
  try {
    snapshot = await load(pool, scope);
  } finally {
    await pool.end();
  }
  const { hi, lo, utf8, checkpoints, levels, stats } = snapshot;

  const node = (level: number, index: number): Buffer | undefined => {
    const l = levels[level];
    const at = index - (l?.start ?? 0);
    if (!l || at < 0 || at >= l.present.length || !l.present[at]) return undefined;
    return l.hashes.subarray(at * 32, at * 32 + 32);
  };
  const tree: StoredTree & { close(): void } = {
    node,
    nodes(level, from, to) {
      const found: { index: number; hash: Buffer }[] = [];
      for (let index = from; index <= to; index++) {
        const hash = node(level, index);
        if (hash) found.push({ index, hash });
      }
      return found;
    },
    beyond() {
      const lastSeq = hi ?? 0;
      // A node of level l and index i covers entries up to (i + 1) * 2^l: past lastSeq when i >= lastSeq / 2^l.
      for (let level = 0; level < levels.length; level++) {
        const l = levels[level];
        if (!l) continue;
        const first = Math.max(0, Math.floor(lastSeq / 2 ** level) - l.start);
        for (let at = first; at < l.present.length; at++) {
          if (l.present[at]) return { lastSeq, node: { level, index: l.start + at } };
        }
      }
      return { lastSeq };
    },
    close: () => undefined,
  };

  return {
    source,
    span: (withStats) => ({ utf8, lo, hi, ...(withStats && stats ? { stats } : {}) }),
    // Entries take their time under the log's lock, never earlier than the one before: in order from the first.
    timeOrder: () => 1,
    rawCheckpoints: () => [...checkpoints],
    rawRows: (batch, afterSeq) => readRows(source, hi ?? 0, batch, afterSeq),
    openTree: () => tree,
    // No openChunkRows: the parallel verifier reads SQLite files; this log gets the sequential one.
  };
}

/** Span, checkpoints and tree nodes in one REPEATABLE READ snapshot. */
async function load(pool: pg.Pool, scope: 'all' | 'tail') {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const encoding = (await client.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0];
    const utf8 = encoding.server_encoding === 'UTF8';
    const span = (
      await client.query<{ lo: number | null; hi: number | null }>(
        'SELECT min(seq)::bigint AS lo, max(seq)::bigint AS hi FROM audit_log',
      )
    ).rows[0];
    const checkpoints = (
      await client.query<{ body: string }>('SELECT body FROM audit_checkpoints ORDER BY tree_size')
    ).rows.map((r) => r.body);
    // The tail's nodes: from the newest checkpoint's frontier on (the nodes under its root and after it).
    const from = scope === 'tail' ? claimedTreeSize(checkpoints[checkpoints.length - 1]) : 0;
    const levels = await loadLevels(client, from);
    const stats = scope === 'all' ? await loadStats(client) : undefined;
    await client.query('COMMIT');
    return { utf8, lo: span.lo, hi: span.hi, checkpoints, levels, stats };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The statistics' stored counts (StatsTally keys) and zones, in the snapshot; none before migration 5,
 * or while entries from before it are still to be counted (the backlog): those counts are not all kept.
 */
async function loadStats(client: pg.PoolClient): Promise<StoredStats | undefined> {
  const kept = (
    await client.query<{ kept: boolean }>(
      `SELECT to_regclass('audit_stats') IS NOT NULL AND to_regclass('audit_stats_backlog') IS NOT NULL AS kept`,
    )
  ).rows[0].kept;
  if (!kept) return undefined;
  const { rows: backlog } = await client.query<{ upto: number }>('SELECT upto FROM audit_stats_backlog');
  if (backlog.some((b) => b.upto > 0)) return undefined;
  const zones = (
    await client.query<{ agreement: string; zone: string }>('SELECT agreement, zone FROM audit_stats_zones')
  ).rows.map((r): [string, string] => [r.agreement, r.zone]);
  const counts = new Map<string, number>();
  const { rows } = await client.query<StatsCount & { scope: string }>(
    'SELECT scope, day, agreement, measure, n FROM audit_stats',
  );
  for (const row of rows) counts.set(countKey(row), row.n);
  return { zones, counts };
}

/** Each level's nodes from index (from >> level) - 1 on (the frontier node of `from`, then the rest). */
async function loadLevels(client: pg.PoolClient, from: number): Promise<(Level | undefined)[]> {
  const levels: (Level | undefined)[] = [];
  const { rows: spans } = await client.query<{ level: number; lo: number; hi: number }>(
    `SELECT level, min(idx)::bigint AS lo, max(idx)::bigint AS hi FROM audit_tree
      WHERE idx >= greatest(0, ($1::bigint >> level) - 1) GROUP BY level ORDER BY level`,
    [from],
  );
  for (const { level, lo, hi } of spans) {
    const count = hi - lo + 1;
    const l: Level = { start: lo, hashes: Buffer.alloc(count * 32), present: new Uint8Array(count) };
    let after = lo - 1;
    for (;;) {
      const { rows } = await client.query<{ idx: number; hash: Buffer }>(
        'SELECT idx, hash FROM audit_tree WHERE level = $1 AND idx > $2 ORDER BY idx LIMIT $3',
        [level, after, NODE_PAGE],
      );
      for (const row of rows) {
        const at = row.idx - lo;
        // A stored hash of another length is kept as absent: the verifier reports the node.
        if (row.hash.length !== 32) continue;
        row.hash.copy(l.hashes, at * 32);
        l.present[at] = 1;
      }
      if (rows.length < NODE_PAGE) break;
      after = rows[rows.length - 1].idx;
    }
    levels[level] = l;
  }
  return levels;
}

/** The raw rows after `afterSeq` up to `lastSeq` (the snapshot's head), in keyset pages, on a pool of their own. */
async function* readRows(
  source: PgLogSource,
  lastSeq: number,
  batch = 1000,
  afterSeq = Number.MIN_SAFE_INTEGER,
): AsyncIterable<RawAuditRow> {
  const size = Math.max(1, Math.floor(batch));
  const pool = openPgPool({ connectionString: source.url, schema: source.schema, max: 1 });
  try {
    let after = Math.max(afterSeq, 0);
    while (after < lastSeq) {
      const { rows } = await pool.query<RawAuditRow>(RAW_ROWS, [after, Math.min(size, lastSeq - after)]);
      for (const row of rows) {
        // Bounded by the snapshot's head, not by a count: a gap in the seqs would reach past it.
        if (row.seq > lastSeq) return;
        yield row;
      }
      if (rows.length === 0) return;
      after = rows[rows.length - 1].seq;
    }
  } finally {
    await pool.end();
  }
}
