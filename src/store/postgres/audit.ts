/**
 * The audit log in PostgreSQL: appends from any number of gateway instances serialise on one
 * transaction-scoped advisory lock per log, so they form one chain; each append reads the tip (head
 * row and the tree's frontier) after taking the lock, plans with the log's rules (append-plan.ts) and
 * writes every row in the same transaction. Reads, raw rows for the verifier, and Merkle proofs from
 * the stored nodes; signed checkpoints, made under the same lock. Each append adds its entries to the
 * statistics' counts in the same transaction (audit-stats.ts); the queries: audit-queries.ts.
 */
import type pg from 'pg';
import {
  frontier,
  planAppend,
  tipOf,
  type LogHead,
  type LogTip,
  type TreeNodeRow,
} from '../../audit/append-plan';
import { canonicalJson, entryFromBody } from '../../audit/chain';
import { consistencyProof, inclusionProof, subtreeRoot, toHex, type NodeSource } from '../../audit/merkle';
import { assertSignedHead, toSign } from '../../audit/checkpoint';
import type { AuditEntry, AuditEventInput, Checkpoint, StoredAuditEntry, TreeHead } from '../../audit/types';
import type { RawAuditRow } from '../../audit/verify';
import type { AuditStore } from '../port';
import { statsCounter } from './audit-stats';
import { groupAppends } from './group-append';
import { inTransaction } from './context';

export type PgAudit = Pick<
  AuditStore,
  | 'append'
  | 'read'
  | 'head'
  | 'readRaw'
  | 'onAppend'
  | 'inclusionProof'
  | 'consistencyProof'
  | 'checkpoint'
  | 'checkpoints'
  | 'latestCheckpoint'
  | 'checkpointAt'
  | 'readRawCheckpoints'
> & {
  /** The Merkle root of the first `size` entries, from the stored nodes. */
  treeRoot(size: number): Promise<Buffer>;
  /**
   * Runs `work` in one transaction holding the log's lock; `append` writes log entries in it, so a
   * change and its entries commit together or not at all. Listeners hear of the entries after commit.
   */
  logged<T>(work: (client: pg.PoolClient, append: LoggedAppend) => Promise<T>): Promise<T>;
};

/** Appends entries inside a `logged` transaction. */
export type LoggedAppend = (events: readonly AuditEventInput[]) => Promise<AuditEntry[]>;

type BodyRow = Pick<StoredAuditEntry, 'body' | 'hash'>;

/**
 * One lock per log (per schema): every instance appending to it queues here, whatever its pool. The
 * transaction holding it never waits for anything but its own statements, so one left idle for
 * LOCK_IDLE_TIMEOUT belongs to an instance that stopped (a pause, a partition) and the server ends it,
 * releasing the log for the others, instead of waiting for TCP keepalive (hours).
 */
const LOCK_IDLE_TIMEOUT = '15s';
const LOCK = `SELECT set_config('idle_in_transaction_session_timeout', '${LOCK_IDLE_TIMEOUT}', true),
  pg_advisory_xact_lock(hashtext('fsg.audit_log:' || current_schema()))`;

/** The log's head, read in the lock's round trip. */
const HEAD = 'SELECT seq, hash, ts FROM audit_log ORDER BY seq DESC LIMIT 1';

/** What a transaction holding the log's lock knows of the log: its tip, and the tip an append left. */
interface LogTx {
  tip(): Promise<LogTip>;
  keep(tip: LogTip): void;
}

/** An append's rows: its entries, their partner and keyed-hash index rows, and the tree nodes. */
export const INSERT_ROWS = `WITH
  entries AS (
    INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                           outcome, body, prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])),
  partners AS (
    INSERT INTO audit_partners (partner, seq) SELECT * FROM unnest($13::text[], $14::bigint[])),
  hashes AS (
    INSERT INTO audit_hashes (hash, seq) SELECT * FROM unnest($15::text[], $16::bigint[]))
  INSERT INTO audit_tree (level, idx, hash) SELECT * FROM unnest($17::integer[], $18::bigint[], $19::bytea[])`;

export const RAW_ROWS = `SELECT a.seq, a.ts, a.type, a.actor_user, a.actor_partner, a.partners, a.request_id,
  a.agreement_id, a.outcome, a.body, a.prev_hash, a.hash,
  (SELECT coalesce(json_agg(p.partner), '[]')::text FROM audit_partners p WHERE p.seq = a.seq) AS partner_index,
  (SELECT coalesce(json_agg(h.hash), '[]')::text FROM audit_hashes h WHERE h.seq = a.seq) AS hash_index,
  (SELECT t.hash FROM audit_tree t WHERE t.level = 0 AND t.idx = a.seq - 1) AS leaf
  FROM audit_log a WHERE a.seq > $1 ORDER BY a.seq LIMIT $2`;

export function createPgAudit(pool: pg.Pool, now: () => Date = () => new Date()): PgAudit {
  const listeners = new Set<(headSeq: number) => void>();
  const countStats = statsCounter();

  /** The stored nodes at these places, by "level/index". */
  const readNodes = async (
    db: pg.Pool | pg.PoolClient,
    places: readonly { level: number; index: number }[],
  ): Promise<Map<string, Buffer>> => {
    const found = new Map<string, Buffer>();
    if (places.length === 0) return found;
    const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
      `SELECT t.level, t.idx, t.hash FROM audit_tree t
         JOIN unnest($1::integer[], $2::bigint[]) AS w (level, idx) ON t.level = w.level AND t.idx = w.idx`,
      [places.map((p) => p.level), places.map((p) => p.index)],
    );
    for (const row of rows) found.set(`${row.level}/${row.idx}`, row.hash);
    return found;
  };

  /**
   * Runs a proof computation over the stored nodes: a first pass with placeholder hashes names the
   * nodes it needs (which nodes depends on the sizes only), one query fetches them, a second pass
   * computes.
   */
  const withNodes = async <T>(compute: (nodes: NodeSource) => T): Promise<T> => {
    const wanted: { level: number; index: number }[] = [];
    compute((level, index) => {
      wanted.push({ level, index });
      return Buffer.alloc(32);
    });
    const found = await readNodes(pool, wanted);
    return compute((level, index) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new RangeError(`Merkle node ${level}/${index} is missing`);
      return hash;
    });
  };

  const headSeq = async (): Promise<number> =>
    (await pool.query<{ seq: number }>('SELECT coalesce(max(seq), 0)::bigint AS seq FROM audit_log')).rows[0]
      .seq;

  const checkSize = async (size: number): Promise<void> => {
    if (size > (await headSeq())) throw new RangeError(`the log has no tree of size ${size} yet`);
  };

  /**
   * Runs `work` in one READ COMMITTED transaction holding the log's lock, whatever the server's default
   * isolation: what it reads of the log is read in a snapshot taken after the lock was granted (a
   * transaction-wide one, REPEATABLE READ, is not), so it sees every earlier append of any instance.
   * BEGIN, the lock and the head's read go in one round trip (each statement its own snapshot, the
   * head's taken once the lock is granted); `tip` gives the log's tip, read once per transaction and
   * then carried from append to append, and `keep` records the tip an append left there.
   */
  const underLogLock = <T>(work: (client: pg.PoolClient, tx: LogTx) => Promise<T>): Promise<T> => {
    let left: LogTip | undefined;
    return inTransaction(
      pool,
      (client, first) => {
        const head = (first?.[first.length - 1]?.rows[0] as LogHead | undefined) ?? undefined;
        let current: Promise<LogTip> | undefined;
        return work(client, {
          tip: () => (left ? Promise.resolve(left) : (current ??= readTip(client, head))),
          keep: (tip) => void (left = tip),
        });
      },
      `${LOCK}; ${HEAD}`,
    ).then((done) => {
      // Committed: the tip this transaction left is the log's, until another instance appends.
      if (left) known = left;
      return done;
    });
  };

  /**
   * The tip this instance's last committed append left. Under the lock, a head that has the same seq
   * and hash means nobody appended since (a seq is taken once, and its hash covers the entry), so the
   * frontier's nodes need not be read again: one round trip less while the lock is held.
   */
  let known: LogTip | undefined;

  /** The log's tip from its head (read with the lock) and the tree's frontier, the lock held. */
  const readTip = async (client: pg.PoolClient, head: LogHead | undefined): Promise<LogTip> => {
    if (head && known && known.seq === head.seq && known.hash === head.hash && known.ts === head.ts)
      return known;
    const places = frontier(head?.seq ?? 0);
    const found = await readNodes(client, places);
    const edge: TreeNodeRow[] = places.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new Error(`Merkle node ${level}/${index} is missing`);
      return { level, index, hash };
    });
    return tipOf(head, edge);
  };

  /** Writes the entries in the transaction `tx` holds. */
  const appendInTx = async (client: pg.PoolClient, tx: LogTx, events: readonly AuditEventInput[]) => {
    const plan = planAppend(await tx.tip(), events, now().toISOString());
    const entries = plan.entries;
    const column = <T>(pick: (e: (typeof entries)[number]) => T) => entries.map(pick);
    const partners = entries.flatMap((e) => e.entry.partners.map((p) => [p, e.entry.seq] as const));
    const hashes = entries.flatMap((e) => e.keyedHashes.map((h) => [h, e.entry.seq] as const));
    const nodes = entries.flatMap((e) => e.nodes);
    // One statement, one round trip, while the lock is held (the index rows' references are checked
    // at its end, after the entries are in).
    await client.query(INSERT_ROWS, [
      column((e) => e.entry.seq),
      column((e) => e.entry.ts),
      column((e) => e.entry.type),
      column((e) => e.entry.actorUser),
      column((e) => e.entry.actorPartner),
      column((e) => e.partnersText),
      column((e) => e.entry.requestId),
      column((e) => e.entry.agreementId),
      column((e) => e.entry.outcome),
      column((e) => e.body),
      column((e) => e.entry.prevHash),
      column((e) => e.entry.hash),
      partners.map((p) => p[0]),
      partners.map((p) => p[1]),
      hashes.map((h) => h[0]),
      hashes.map((h) => h[1]),
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => n.hash),
    ]);
    const written = entries.map((e) => e.entry);
    await countStats(client, written);
    tx.keep(plan.tip);
    return written;
  };

  // Appends that change nothing else share transactions (group-append.ts).
  const grouped = groupAppends(async (events) => {
    const written = await underLogLock((client, tx) => appendInTx(client, tx, events));
    announce(written[written.length - 1].seq);
    return written;
  });

  const announce = (seq: number) => {
    if (listeners.size === 0) return;
    setImmediate(() => {
      for (const listener of listeners) listener(seq);
    });
  };

  return {
    async append(events) {
      if (events.length === 0) return [];
      return grouped(events);
    },
    async logged(work) {
      let last = 0;
      const done = await underLogLock((client, tx) =>
        work(client, async (events) => {
          if (events.length === 0) return [];
          const written = await appendInTx(client, tx, events);
          last = written[written.length - 1].seq;
          return written;
        }),
      );
      if (last > 0) announce(last);
      return done;
    },
    async read(fromSeq, limit) {
      if (limit <= 0) return [];
      const { rows } = await pool.query<BodyRow>(
        'SELECT body, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
        [Math.max(1, Math.floor(fromSeq)), Math.floor(limit)],
      );
      return rows.map((r) => entryFromBody(r.body, r.hash));
    },
    async head() {
      const { rows } = await pool.query<BodyRow>(
        'SELECT body, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
      );
      return rows[0] ? entryFromBody(rows[0].body, rows[0].hash) : undefined;
    },
    async readRaw(afterSeq, limit) {
      const { rows } = await pool.query<RawAuditRow>(RAW_ROWS, [
        Math.floor(afterSeq),
        Math.max(0, Math.floor(limit)),
      ]);
      return rows;
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async inclusionProof(seq, treeSize) {
      await checkSize(treeSize);
      return (await withNodes((nodes) => inclusionProof(nodes, seq - 1, treeSize))).map(toHex);
    },
    async consistencyProof(fromSize, toSize) {
      await checkSize(toSize);
      return (await withNodes((nodes) => consistencyProof(nodes, fromSize, toSize))).map(toHex);
    },
    async treeRoot(size) {
      await checkSize(size);
      return withNodes((nodes) => subtreeRoot(nodes, 0, size));
    },
    async checkpoint(sign) {
      // Under the log's lock: no append of any instance comes between the root and its signature, and
      // two instances checkpointing at once sign one head once (the second finds it covered).
      return underLogLock((client, tx) => checkpointInTx(client, tx, sign));
    },
    async checkpoints({ afterSize, limit, order }) {
      const n = Math.max(0, Math.floor(limit));
      const { rows } =
        order === 'asc'
          ? await pool.query<{ body: string }>(
              'SELECT body FROM audit_checkpoints WHERE tree_size > $1 ORDER BY tree_size ASC LIMIT $2',
              [afterSize ?? 0, n],
            )
          : await pool.query<{ body: string }>(
              'SELECT body FROM audit_checkpoints WHERE tree_size < $1 ORDER BY tree_size DESC LIMIT $2',
              [afterSize ?? Number.MAX_SAFE_INTEGER, n],
            );
      return rows.map((r) => JSON.parse(r.body) as Checkpoint);
    },
    async latestCheckpoint() {
      return parseCheckpoint(
        (
          await pool.query<{ body: string }>(
            'SELECT body FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
          )
        ).rows[0],
      );
    },
    async checkpointAt(treeSize) {
      return parseCheckpoint(
        (
          await pool.query<{ body: string }>('SELECT body FROM audit_checkpoints WHERE tree_size = $1', [
            treeSize,
          ])
        ).rows[0],
      );
    },
    async readRawCheckpoints() {
      return (
        await pool.query<{ body: string }>('SELECT body FROM audit_checkpoints ORDER BY tree_size')
      ).rows.map((r) => r.body);
    },
  };

  /** Signs the head unless a checkpoint covers it already; inside the caller's transaction, lock held. */
  async function checkpointInTx(
    client: pg.PoolClient,
    tx: LogTx,
    sign: (head: TreeHead) => Checkpoint,
  ): Promise<Checkpoint | undefined> {
    const tip = await tx.tip();
    const top = tip.seq > 0 ? { seq: tip.seq, hash: tip.hash } : undefined;
    const latest = parseCheckpoint(
      (
        await client.query<{ body: string }>(
          'SELECT body FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
        )
      ).rows[0],
    );
    // The frontier's nodes are the roots of the perfect subtrees the tree is made of: all its root needs.
    const nodes = new Map(tip.edge.flatMap((n) => (n ? [[`${n.level}/${n.index}`, n.hash] as const] : [])));
    const what = toSign(top, latest, (level, index) => {
      const hash = nodes.get(`${level}/${index}`);
      if (!hash) throw new RangeError(`Merkle node ${level}/${index} is missing`);
      return hash;
    });
    if ('covered' in what) return what.covered;
    const signed = sign(what.head);
    assertSignedHead(signed, what.head);
    await client.query('INSERT INTO audit_checkpoints (tree_size, ts, body) VALUES ($1, $2, $3)', [
      signed.treeSize,
      signed.timestamp,
      canonicalJson(signed),
    ]);
    return signed;
  }
}

const parseCheckpoint = (row: { body: string } | undefined): Checkpoint | undefined =>
  row ? (JSON.parse(row.body) as Checkpoint) : undefined;
