/**
 * The counts behind the DPO's statistics (what an entry counts for: src/audit/stats.ts), kept in
 * `audit_stats` (schema version 11) as entries are appended, in the transaction that appends them: on
 * the main connection and on the lookup writer's alike (both append through createAudit). Inside a group
 * transaction the entries' counts wait in memory and are written once, just before COMMIT (the group
 * committer's `beforeCommit`): one upsert per scope, day, agreement and measure of the whole batch
 * instead of one per entry. A unit rolled back takes its pending counts with it (save/restore).
 *
 * Days are counted in each agreement's time zone as `audit_stats_zones` records it: every writer reads
 * the zones from there (again whenever another connection wrote), so all count alike. When the bundle
 * gives an agreement another zone (or drops or adds it), `useZones` records the new zone and counts that
 * agreement's entries again, in one transaction.
 *
 * The counts only grow: triggers refuse a DELETE and an UPDATE that lowers a count or moves it, except
 * the recount's DELETE of one agreement's counts (it lifts the DELETE trigger within its transaction).
 * Like the log's other derived tables, someone with the file can still change them: the verifier counts
 * the bodies again and compares (verify-fast.ts).
 */
import type Database from 'better-sqlite3';
import {
  STATS_TYPES,
  addStoredBody,
  changedZones,
  StatsTally,
  countKey,
  type CountedEntry,
  type StatsCount,
  type StatsCountQuery,
  type StatsZones,
} from '../../audit/stats';
import { localDays } from '../../time/zones';
import type { StoredStats } from '../port';

/** The trigger a recount lifts for its own DELETE (the same text as schema version 11's). */
export const STATS_NO_DELETE_TRIGGER = `CREATE TRIGGER audit_stats_no_delete BEFORE DELETE ON audit_stats
        BEGIN SELECT RAISE(ABORT, 'audit_stats: counts are removed only by a recount'); END`;

/** Entries read per query when counting the stored log. */
const PAGE = 5000;

const UPSERT = `INSERT INTO audit_stats (scope, day, agreement, measure, n) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (scope, day, agreement, measure) DO UPDATE SET n = n + excluded.n`;

/** The counts of a tally added to the stored ones. */
function writer(db: Database.Database): (tally: StatsTally) => void {
  const upsert = db.prepare(UPSERT);
  return (tally) => {
    for (const c of tally.rows()) upsert.run(c.scope, c.day, c.agreement, c.measure, c.n);
  };
}

export interface SqliteAuditStats {
  /** Counts entries just appended in the open transaction: pending until flush(). */
  count(entries: readonly CountedEntry[]): void;
  /** Writes the pending counts (inside the transaction that appended their entries). */
  flush(): void;
  /** How many entries are pending, and back to that many (a rolled-back unit). */
  pending(): number;
  truncate(length: number): void;
  /** Reads the zones from the table again at the next count (another connection may have changed them). */
  forgetZones(): void;
  /** The stored counts of one scope. */
  query(q: StatsCountQuery): StatsCount[];
  /** The zones counts are kept under. */
  zones(): StatsZones;
  /**
   * Counts under `zones` from now on; each agreement whose zone this changes is counted again. Runs in
   * the caller's transaction; returns the agreements counted again.
   */
  useZones(zones: StatsZones): string[];
}

export function createAuditStats(db: Database.Database): SqliteAuditStats {
  const write = writer(db);
  const zoneRows = db.prepare<[], { agreement: string; zone: string }>(
    'SELECT agreement, zone FROM audit_stats_zones',
  );
  const setZone = db.prepare(
    `INSERT INTO audit_stats_zones (agreement, zone) VALUES (?, ?)
     ON CONFLICT (agreement) DO UPDATE SET zone = excluded.zone`,
  );
  const dropAgreement = db.prepare('DELETE FROM audit_stats WHERE agreement = ?');
  // The agreement's entries through its index, in seq order (a recount's pages).
  const agreementPage = db.prepare<[string, number, number], { seq: number; body: string; hash: string }>(
    `SELECT seq, body, hash FROM audit_log INDEXED BY audit_log_agreement
     WHERE agreement_id = ? AND seq > ? AND type IN ('decision', 'lookup', 'disclosure')
     ORDER BY seq LIMIT ?`,
  );
  const counts = db.prepare<[string, string, string], StatsCount>(
    `SELECT day, agreement, measure, n FROM audit_stats
     WHERE scope = ? AND day >= ? AND day <= ? ORDER BY day, agreement, measure`,
  );
  const countsOf = db.prepare<[string, string, string, string], StatsCount>(
    `SELECT day, agreement, measure, n FROM audit_stats
     WHERE scope = ? AND day >= ? AND day <= ? AND agreement = ? ORDER BY day, measure`,
  );

  let cached: Map<string, string> | undefined;
  const zones = (): Map<string, string> => {
    cached ??= new Map(zoneRows.all().map((r) => [r.agreement, r.zone]));
    return cached;
  };
  // Kept across flushes: the current day's bounds in each zone are found once, not per transaction.
  const dayOf = localDays();
  let pending: CountedEntry[] = [];

  const flush = () => {
    if (pending.length === 0) return;
    const tally = new StatsTally(zones(), dayOf);
    for (const entry of pending) tally.add(entry);
    pending = [];
    write(tally);
  };

  const recount = (agreement: string) => {
    db.exec('DROP TRIGGER audit_stats_no_delete');
    dropAgreement.run(agreement);
    db.exec(STATS_NO_DELETE_TRIGGER);
    let after = 0;
    for (;;) {
      const rows = agreementPage.all(agreement, after, PAGE);
      const tally = new StatsTally(zones(), dayOf);
      for (const row of rows) addStoredBody(tally, row.body);
      write(tally);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  };

  return {
    count(entries) {
      for (const entry of entries) if (STATS_TYPES.includes(entry.type)) pending.push(entry);
    },
    flush,
    pending: () => pending.length,
    truncate(length) {
      pending.length = Math.min(pending.length, length);
    },
    forgetZones() {
      cached = undefined;
    },
    query(q) {
      const from = q.fromDay ?? '';
      const to = q.toDay ?? '~';
      return q.agreement === undefined
        ? counts.all(q.scope, from, to)
        : countsOf.all(q.scope, from, to, q.agreement);
    },
    zones,
    useZones(wanted) {
      flush(); // pending entries count under the zones they were appended under, before the recount
      const have = zones();
      const changed = changedZones(have, wanted);
      for (const agreement of changed) {
        const zone = wanted.get(agreement) ?? 'UTC';
        setZone.run(agreement, zone);
        have.set(agreement, zone);
        recount(agreement);
      }
      return changed;
    },
  };
}

/**
 * Adds the counts of the whole stored log under `zones` (schema version 11, for the entries from before
 * it), in pages, within the caller's transaction; also finds the first entry from which the log's
 * timestamps never go back (ts order, see audit.ts). Returns that seq.
 */
export function countStoredLog(db: Database.Database, zones: StatsZones): number {
  const write = writer(db);
  const page = db.prepare<[number, number], { seq: number; ts: string; type: string; body: string }>(
    'SELECT seq, ts, type, body FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  const dayOf = localDays();
  let orderedFrom = 1;
  let lastTs = '';
  let after = 0;
  for (;;) {
    const rows = page.all(after, PAGE);
    const tally = new StatsTally(zones, dayOf);
    for (const row of rows) {
      if (row.ts < lastTs) orderedFrom = row.seq;
      lastTs = row.ts;
      if (STATS_TYPES.includes(row.type)) addStoredBody(tally, row.body);
    }
    write(tally);
    if (rows.length < PAGE) return orderedFrom;
    after = rows[rows.length - 1].seq;
  }
}

/** What the verifier compares the bodies with (port.ts). */
export type { StoredStats } from '../port';

/**
 * The stored counts and zones of a database, read as they are (untrusted) on the caller's connection,
 * inside its read transaction; undefined for a database from before them (schema version < 11).
 */
export function readStoredStats(db: Database.Database): StoredStats | undefined {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_stats'").get();
  if (has === undefined) return undefined;
  const zones = db
    .prepare<[], [string, string]>('SELECT agreement, zone FROM audit_stats_zones')
    .raw(true)
    .all();
  const counts = new Map<string, number>();
  const rows = db.prepare<[], StatsCount & { scope: string }>(
    'SELECT scope, day, agreement, measure, n FROM audit_stats',
  );
  for (const row of rows.iterate()) counts.set(countKey(row), row.n);
  return { zones, counts };
}
