/**
 * The audit log tables: appends that join the caller's transaction (each entry with its Merkle leaf,
 * the tree nodes it completes, its partner and keyed-hash index rows, and its statistics' counts:
 * audit-stats.ts), filtered reads for the DPO API (each from an index in the order asked: buildQuery),
 * and Merkle proofs. The offline verifier's read-only readers: audit-reader.ts.
 */
import Database from 'better-sqlite3';
import {
  frontier,
  leafRows,
  planAppend,
  tipOf,
  type LogTip,
  type PlannedEntry,
  type TreeNodeRow,
} from '../../audit/append-plan';
import { entryFromBody } from '../../audit/chain';
import { consistencyProof, inclusionProof, toHex, type NodeSource } from '../../audit/merkle';
import { changedZones } from '../../audit/stats';
import type { AuditEntry, AuditEventInput, AuditPage, AuditQuery, StoredAuditEntry } from '../../audit/types';
import type { RawAuditRow } from '../../audit/verify';
import type { AuditStore } from '../port';
import { rawColumns } from './audit-reader';
import { createAuditStats, type SqliteAuditStats } from './audit-stats';
import { createCheckpoints, type SqliteCheckpoints } from './checkpoints';

/** Appends events to the chain; only valid inside an open transaction (the caller's). */
export type AppendInTx = (events: AuditEventInput[]) => AuditEntry[];

export interface SqliteAudit {
  appendInTx: AppendInTx;
  store: AuditStore;
  /**
   * The chain head and the Merkle tree's right edge, kept in memory so an append reads nothing back.
   * The group committer saves it before each unit and restores it when a unit or a transaction is
   * rolled back; `begin` (after BEGIN IMMEDIATE) drops it when another connection wrote meanwhile. The
   * entries' statistics counts wait here too, for `beforeCommit` (audit-stats.ts); `end` closes the
   * group transaction (until `begin`, an append writes its counts at once).
   */
  memory: {
    save(): unknown;
    restore(saved: unknown): void;
    begin(): void;
    beforeCommit(): void;
    end(): void;
  };
  /** The statistics' counts (audit-stats.ts). */
  stats: SqliteAuditStats;
  /** Another connection of this process appended and committed: tell the listeners (onAppend). */
  notifyAppended(): void;
  /** The signed checkpoints of this connection, for callers inside their own transaction. */
  checkpoints: SqliteCheckpoints;
}

interface HeadRow {
  seq: number;
  hash: string;
  ts: string;
}

interface BodyRow {
  body: string;
  hash: string;
}

const DERIVED_BATCH = 1000;

export function createAudit(
  db: Database.Database,
  now: () => Date,
  runUnit: <T>(unit: () => T) => Promise<T>,
): SqliteAudit {
  const headStmt = db.prepare<[], HeadRow>('SELECT seq, hash, ts FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insertEntry = db.prepare(
    `INSERT INTO audit_log (seq, ts, type, actor_user, actor_partner, partners, request_id, agreement_id,
                            outcome, body, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPartner = db.prepare('INSERT INTO audit_partners (partner, seq) VALUES (?, ?)');
  const insertHash = db.prepare('INSERT INTO audit_hashes (hash, seq) VALUES (?, ?)');
  const insertNode = db.prepare('INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)');
  const nodeStmt = db.prepare<[number, number], { hash: Buffer }>(
    'SELECT hash FROM audit_tree WHERE level = ? AND idx = ?',
  );
  const readStmt = db.prepare<[number, number], BodyRow>(
    'SELECT body, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?',
  );
  const lastStmt = db.prepare<[], BodyRow>('SELECT body, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const rawStmt = db.prepare<[number, number], RawAuditRow>(
    'SELECT ' + rawColumns(true) + ' FROM audit_log a WHERE a.seq > ? ORDER BY a.seq LIMIT ?',
  );

  const nodes: NodeSource = (level, index) => {
    const row = nodeStmt.get(level, index);
    if (!row) throw new RangeError(`Merkle node ${level}/${index} is missing`);
    return row.hash;
  };

  /** An entry's leaf, the nodes it completes and its keyed-hash rows, as the log's rules planned them. */
  const writeLeafRows = (seq: number, rows: Pick<PlannedEntry, 'nodes' | 'keyedHashes'>) => {
    for (const node of rows.nodes) insertNode.run(node.level, node.index, node.hash);
    for (const keyed of rows.keyedHashes) insertHash.run(keyed, seq);
  };

  /** The log's tip as stored: its head and the tree's frontier (what the next append needs). */
  const readTip = (): LogTip => {
    const head = headStmt.get();
    return tipOf(
      head,
      frontier(head?.seq ?? 0).map(({ level, index }) => ({ level, index, hash: nodes(level, index) })),
    );
  };

  const listeners = new Set<(headSeq: number) => void>();
  let announced = false;
  /** Listeners hear of appends after the transaction has ended (committed or not), never inside it. */
  const announce = () => {
    if (announced || listeners.size === 0) return;
    announced = true;
    setImmediate(() => {
      announced = false;
      if (!db.open) return;
      const seq = headStmt.get()?.seq ?? 0;
      for (const listener of listeners) listener(seq);
    });
  };

  /** undefined: not known in memory, read the head from the table at the next append. */
  let tip: LogTip | undefined;
  let dataVersion: number | undefined;
  // Prepared once: db.pragma() would compile the statement at every transaction.
  const dataVersionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  const readDataVersion = () => dataVersionStmt.get()!;

  const appendInTx: AppendInTx = (events) => {
    // The tip is read inside the write transaction, so no other writer can slip in between.
    if (!db.inTransaction) throw new Error('audit append must run inside the transaction of its change');
    if (events.length === 0) return [];
    const plan = planAppend((tip ??= readTip()), events, now().toISOString());
    for (const { entry, body, partnersText, ...rows } of plan.entries) {
      insertEntry.run(
        entry.seq,
        entry.ts,
        entry.type,
        entry.actorUser,
        entry.actorPartner,
        partnersText,
        entry.requestId,
        entry.agreementId,
        entry.outcome,
        body,
        entry.prevHash,
        entry.hash,
      );
      for (const partner of entry.partners) insertPartner.run(partner, entry.seq);
      writeLeafRows(entry.seq, rows);
    }
    tip = plan.tip;
    const written = plan.entries.map((e) => e.entry);
    stats.count(written);
    if (!grouped) stats.flush();
    announce();
    return written;
  };

  const stats = createAuditStats(db);
  /** Inside a group transaction: counts are written once, before its COMMIT. */
  let grouped = false;
  const memory: SqliteAudit['memory'] = {
    save: () => ({ tip, pending: stats.pending() }),
    restore: (saved) => {
      const { tip: savedTip, pending } = saved as { tip: LogTip | undefined; pending: number };
      tip = savedTip;
      stats.truncate(pending);
      // A rolled-back recount leaves the zones as they were: read them again.
      stats.forgetZones();
    },
    begin: () => {
      grouped = true;
      // Another connection (another process's store) committed since our last transaction: forget.
      const version = readDataVersion();
      if (version !== dataVersion) {
        tip = undefined;
        stats.forgetZones();
      }
      dataVersion = version;
    },
    beforeCommit: () => stats.flush(),
    end: () => {
      grouped = false;
      stats.truncate(0);
    },
  };

  backfillDerived(db, (done) => {
    // One batch of old entries: its edge starts from the frontier of the leaves already written.
    const edge: (TreeNodeRow | undefined)[] = tipOf(
      undefined,
      frontier(done).map(({ level, index }) => ({ level, index, hash: nodes(level, index) })),
    ).edge.slice();
    return (seq, body, data) => writeLeafRows(seq, leafRows(seq, body, data, edge));
  });
  const checkpoints = createCheckpoints(db, nodes);
  const queries = new Map<string, Database.Statement>();

  const period = createPeriods(db);
  const run = <T>(query: AuditQuery, page: AuditPage, columns: string): T[] => {
    const range =
      query.from === undefined && query.to === undefined ? undefined : period(query.from, query.to);
    const { sql, params } = buildQuery(query, page, columns, range);
    let stmt = queries.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      queries.set(sql, stmt);
    }
    const rows = stmt.all(params) as (T & { [ORDER_KEY]?: number })[];
    for (const row of rows) delete row[ORDER_KEY];
    return rows;
  };

  const headSeq = () => headStmt.get()?.seq ?? 0;

  const store: AuditStore = {
    append(events) {
      return runUnit(() => appendInTx(events));
    },
    async read(fromSeq, limit) {
      if (limit <= 0) return [];
      return readStmt
        .all(Math.max(1, Math.floor(fromSeq)), Math.floor(limit))
        .map((r) => entryFromBody(r.body, r.hash));
    },
    async head() {
      const row = lastStmt.get();
      return row ? entryFromBody(row.body, row.hash) : undefined;
    },
    async query(query, page) {
      return run<BodyRow>(query, page, 'a.body, a.hash').map((r) => entryFromBody(r.body, r.hash));
    },
    async queryStored(query, page) {
      return run<StoredAuditEntry>(query, page, 'a.seq, a.body, a.hash');
    },
    async readRaw(afterSeq, limit) {
      return rawStmt.all(Math.floor(afterSeq), Math.max(0, Math.floor(limit)));
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async inclusionProof(seq, treeSize) {
      if (treeSize > headSeq()) throw new RangeError(`the log has no tree of size ${treeSize} yet`);
      return inclusionProof(nodes, seq - 1, treeSize).map(toHex);
    },
    async consistencyProof(fromSize, toSize) {
      if (toSize > headSeq()) throw new RangeError(`the log has no tree of size ${toSize} yet`);
      return consistencyProof(nodes, fromSize, toSize).map(toHex);
    },
    async checkpoint(sign) {
      return checkpoints.create(sign);
    },
    async checkpoints(page) {
      return checkpoints.list(page);
    },
    async latestCheckpoint() {
      return checkpoints.latest();
    },
    async checkpointAt(treeSize) {
      return checkpoints.at(treeSize);
    },
    async readRawCheckpoints() {
      return checkpoints.raw();
    },
    async statsCounts(query) {
      return stats.query(query);
    },
    async useStatsZones(zones) {
      stats.forgetZones();
      if (changedZones(stats.zones(), zones).length === 0) return;
      await runUnit(() => stats.useZones(zones));
    },
  };

  return { appendInTx, store, memory, stats, notifyAppended: announce, checkpoints };
}

/**
 * Entries written before the Merkle tree and the keyed-hash index existed (schema version < 3) get
 * their leaves, nodes and index rows once, at open. Leaves are written with their entries, so the
 * number of leaves says how far the derived tables reach.
 */
function backfillDerived(
  db: Database.Database,
  batch: (done: number) => (seq: number, body: string, data: unknown) => void,
): void {
  const leaves = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_tree WHERE level = 0');
  const max = db.prepare<[], { n: number | null }>('SELECT max(seq) AS n FROM audit_log');
  const page = db.prepare<[number, number], { seq: number; body: string }>(
    'SELECT seq, body FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  const step = db.transaction(() => {
    const done = leaves.get()!.n;
    if (done >= (max.get()!.n ?? 0)) return false;
    let next = done + 1;
    const addDerived = batch(done);
    for (const row of page.all(done, DERIVED_BATCH)) {
      if (row.seq !== next) throw new Error(`audit log: entry #${next} is missing; run fsg audit verify`);
      addDerived(row.seq, row.body, (JSON.parse(row.body) as { data?: unknown }).data);
      next++;
    }
    return true;
  });
  while (step.immediate()) {
    /* one batch per transaction */
  }
}

/**
 * The seq range that can hold the entries of a period [from, to): from the entry audit_ts_order names on,
 * timestamps never go back (entryTime), so there the period is one range, found by binary search over
 * seq; entries before it (a log from before schema version 11 whose clock was set back) may be anywhere
 * in time, so then the range starts at #1.
 */
function createPeriods(db: Database.Database): (from?: string, to?: string) => SeqRange {
  const orderedFrom = db.prepare<[], number>('SELECT from_seq FROM audit_ts_order').pluck();
  const lastSeq = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM audit_log').pluck();
  const tsAt = db.prepare<[number], string>('SELECT ts FROM audit_log WHERE seq = ?').pluck();
  const ordered = orderedFrom.get() ?? 1;
  /** The first seq in lo..hi + 1 whose ts makes `reached` true (false before it, true from it on). */
  const first = (reached: (ts: string) => boolean, lo: number, hi: number): number => {
    let end = hi + 1;
    while (lo < end) {
      const mid = lo + Math.floor((end - lo) / 2);
      const ts = tsAt.get(mid);
      // A missing entry (a damaged log, which the verifier names): no bound from here.
      if (ts === undefined) return Number.NaN;
      if (reached(ts)) end = mid;
      else lo = mid + 1;
    }
    return end;
  };
  return (from, to) => {
    const head = lastSeq.get() ?? 0;
    const lo = from === undefined ? ordered : first((ts) => ts >= from, ordered, head);
    const hi = to === undefined ? head : first((ts) => ts >= to, ordered, head) - 1;
    if (Number.isNaN(lo) || Number.isNaN(hi)) return { lo: 1, hi: head };
    return { lo: ordered > 1 ? 1 : lo, hi: Math.max(hi, ordered - 1) };
  };
}

/** Entries lo..hi (inclusive). */
interface SeqRange {
  lo: number;
  hi: number;
}

/**
 * Where a query's entries are read from, in seq order: an index whose entries for one value are in seq
 * order (the keyed-hash and partner indexes are keyed (value, seq); audit_log's own indexes end in its
 * rowid, the seq), or the log itself. The most selective filter drives; the others are checked on each
 * row met. So no query sorts what it found (no temporary B-tree), and a page stops at its limit.
 */
type Driver = 'hash' | 'request' | 'actor' | 'type' | 'agreement' | 'partner' | 'scope' | 'log';

/** Up to this many types, each is read from the type index and the lists merged in seq order. */
const MERGED_TYPES = 16;

function driverOf(query: AuditQuery): Driver {
  if (query.keyedHash !== undefined) return 'hash';
  if (query.request !== undefined) return 'request';
  if (query.actor !== undefined) return 'actor';
  const types = new Set(query.types ?? []).size;
  if (types >= 1 && types <= MERGED_TYPES) return 'type';
  if (query.agreement !== undefined) return 'agreement';
  if (query.partner !== undefined && query.partner !== query.scopePartner) return 'partner';
  if (query.scopePartner !== undefined) return 'scope';
  return 'log';
}

/** SQL from fixed fragments; every value is a bound parameter. Exported for the query-plan test. */
export function buildQuery(
  query: AuditQuery,
  page: AuditPage,
  columns: string,
  range?: SeqRange,
): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: Math.max(0, Math.floor(page.limit)) };
  const driver = driverOf(query);
  // The driving table (d: an index table joined to the log by seq; else the log itself, through the
  // index named, so the planner cannot pick another and sort).
  const joined = (table: string) => `${table} d CROSS JOIN audit_log a NOT INDEXED ON a.seq = d.seq`;
  const FROM: Record<Driver, string> = {
    hash: joined('audit_hashes'),
    partner: joined('audit_partners'),
    scope: joined('audit_partners'),
    request: 'audit_log a INDEXED BY audit_log_request',
    actor: 'audit_log a INDEXED BY audit_log_actor',
    type: 'audit_log a INDEXED BY audit_log_type',
    agreement: 'audit_log a INDEXED BY audit_log_agreement',
    log: 'audit_log a NOT INDEXED',
  };
  const seq = driver === 'hash' || driver === 'partner' || driver === 'scope' ? 'd.seq' : 'a.seq';
  const add = (clause: string, key: string, value: unknown) => {
    if (value === undefined) return;
    where.push(clause);
    params[key] = value;
  };

  if (query.scopePartner !== undefined) {
    params.scopePartner = query.scopePartner;
    where.push(
      driver === 'scope'
        ? 'd.partner = @scopePartner'
        : 'EXISTS (SELECT 1 FROM audit_partners sp WHERE sp.partner = @scopePartner AND sp.seq = a.seq)',
    );
  }
  if (query.partner !== undefined && query.partner !== query.scopePartner) {
    params.partner = query.partner;
    where.push(
      driver === 'partner'
        ? 'd.partner = @partner'
        : 'EXISTS (SELECT 1 FROM audit_partners fp WHERE fp.partner = @partner AND fp.seq = a.seq)',
    );
    if (query.viewCutTypes !== undefined && query.scopePartner !== undefined) {
      where.push(
        '(a.type NOT IN (SELECT value FROM json_each(@viewCutTypes)) OR a.actor_partner IN (@partner, @scopePartner))',
      );
      params.viewCutTypes = JSON.stringify(query.viewCutTypes);
    }
  }
  if (query.keyedHash !== undefined) {
    add('d.hash = @keyedHash', 'keyedHash', query.keyedHash);
    if (query.keyedHashInView && query.scopePartner !== undefined) {
      // A lookup's hit names the place of its identifier's hash (`query`); no place, no match.
      where.push(
        `(a.type <> 'lookup' OR a.actor_partner = @scopePartner OR EXISTS (
          SELECT 1 FROM json_each(a.body, '$.data.hits') hit
          WHERE json_extract(hit.value, '$.providerId') = @scopePartner
            AND json_extract(a.body, '$.data.identifierHashes[' || json_extract(hit.value, '$.query') || ']')
              = @keyedHash))`,
      );
    }
  }
  add(`${seq} = @seq`, 'seq', query.seq);
  add(`${seq} <= @maxSeq`, 'maxSeq', query.maxSeq);
  if (range !== undefined) {
    add(`${seq} >= @lo`, 'lo', range.lo);
    add(`${seq} <= @hi`, 'hi', range.hi);
  }
  add('a.ts >= @from', 'from', query.from);
  add('a.ts < @to', 'to', query.to);
  if (query.actor !== undefined) {
    where.push('a.actor_user = @actorUser AND a.actor_partner = @actorPartner');
    params.actorUser = query.actor.userId;
    params.actorPartner = query.actor.partnerId;
  }
  add('a.agreement_id = @agreement', 'agreement', query.agreement);
  add('a.request_id = @request', 'request', query.request);
  add('a.outcome = @outcome', 'outcome', query.outcome);
  if (driver !== 'type' && query.types !== undefined) {
    add('a.type IN (SELECT value FROM json_each(@types))', 'types', JSON.stringify(query.types));
  }
  if (page.after !== undefined) {
    add(page.order === 'asc' ? `${seq} > @after` : `${seq} < @after`, 'after', page.after);
  }
  const order = page.order === 'asc' ? 'ASC' : 'DESC';
  const select = (more: string[], extra = '') => {
    const all = [...where, ...more];
    return (
      `SELECT ${columns}${extra} FROM ${FROM[driver]}` + (all.length > 0 ? ' WHERE ' + all.join(' AND ') : '')
    );
  };
  if (driver !== 'type') {
    return { sql: `${select([])} ORDER BY ${seq} ${order} LIMIT @limit`, params };
  }
  // One type: its index, in seq order. Several: each type's, merged in seq order (a compound SELECT
  // ordered by a column each part yields in order: SQLite merges them, never sorts).
  const types = [...new Set(query.types)];
  if (types.length === 1) {
    params.type = types[0];
    return { sql: `${select(['a.type = @type'])} ORDER BY a.seq ${order} LIMIT @limit`, params };
  }
  const parts = types.map((type, i) => {
    params[`type${i}`] = type;
    return select([`a.type = @type${i}`], `, a.seq AS ${ORDER_KEY}`);
  });
  return { sql: `${parts.join(' UNION ALL ')} ORDER BY ${ORDER_KEY} ${order} LIMIT @limit`, params };
}

/** The column a merged query orders by (dropped from its rows). */
export const ORDER_KEY = 'merge_seq';
