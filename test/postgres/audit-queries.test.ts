/**
 * The DPO's reads of the PostgreSQL log: every query selects exactly what its filters say, page by page
 * both ways (against the same model as SQLite's: test/helpers/dpo-queries.ts); the statistics' counts
 * stay exact when several instances append at once, are counted again when a zone changes, count the
 * entries from before migration 5, and only grow.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { ALL_SCOPE, StatsTally, countKey, type StatsCount } from '../../src/audit/stats';
import type { AuditEntry, AuditEventInput } from '../../src/audit/types';
import { openPgStore } from '../../src/store/postgres';
import { PG_MIGRATIONS, migratePg } from '../../src/store/postgres/migrations';
import type { Store } from '../../src/store/port';
import { agree, event, hourIso, query, T0 } from '../helpers/dpo-queries';
import { event as statsEvent, statsAgreeWithRecount } from '../helpers/stats-model';
import { describePg, dropSchema, freshSchema, PG_URL, requirePostgres, testPool } from './pg-test';

/** A decision, lookup or disclosure (or an entry that counts for nothing) under one of three agreements. */
const counted: fc.Arbitrary<AuditEventInput> = fc
  .record({
    type: fc.constantFrom('decision', 'lookup', 'disclosure', 'request.state'),
    outcome: fc.constantFrom('permit', 'deny'),
    agreementId: fc.option(fc.constantFrom('a-ams', 'a-ktm', 'a-utc'), { nil: undefined }),
    partners: fc.subarray(['p1', 'p2', 'p3'], { minLength: 1 }),
    codes: fc.array(fc.constantFrom('CODE_A', 'CODE_B'), { maxLength: 2 }),
  })
  .map(({ type, outcome, agreementId, partners, codes }) => ({
    type,
    actor: { userId: 'u', partnerId: partners[0] },
    partners,
    outcome,
    ...(agreementId ? { agreementId } : {}),
    data: { safes: { people: { outcome: 'fail', codes } }, recordDigests: codes },
  }));

/** The counts of every scope, as a map of count keys (what the store keeps, read back). */
async function storedCounts(store: Store, scopes: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const scope of scopes) {
    for (const c of await store.audit.statsCounts({ scope })) found.set(countKey({ ...c, scope }), c.n);
  }
  return found;
}

/** The same counts, made from the entries read back (the log's rules: src/audit/stats.ts). */
function countOf(entries: readonly AuditEntry[], zones: ReadonlyMap<string, string>): Map<string, number> {
  const tally = new StatsTally(zones);
  for (const e of entries) if (['decision', 'lookup', 'disclosure'].includes(e.type)) tally.add(e);
  return tally.counts;
}

const SCOPES = [ALL_SCOPE, 'p1', 'p2', 'p3'];

describePg('the PostgreSQL DPO queries and statistics', () => {
  jest.setTimeout(120_000);
  beforeAll(requirePostgres);

  const schemas: string[] = [];
  const opened: Store[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await Promise.all(schemas.map(dropSchema));
  });
  const open = async (schema: string, now?: () => Date) => {
    if (!schemas.includes(schema)) schemas.push(schema);
    const store = await openPgStore({ connectionString: PG_URL, schema, max: 4, now });
    opened.push(store);
    return store;
  };

  test('queries select exactly what their filters say, in order, page by page, both ways', async () => {
    // The clock goes back now and then: the log keeps its times in order (entryTime) all the same.
    let now = T0;
    const store = await open(freshSchema(), () => new Date(now));
    const steps = fc.sample(fc.integer({ min: -3_600_000, max: 2 * 3_600_000 }), { numRuns: 80, seed: 5 });
    const events = fc.sample(event, { numRuns: 240, seed: 6 });
    for (let i = 0; i < events.length; i += 3) {
      now += steps[i / 3];
      await Promise.all([store.audit.append(events.slice(i, i + 2)), store.audit.append([events[i + 2]])]);
    }
    await agree(store, [
      ...fc.sample(query, { numRuns: 300, seed: 8 }),
      { from: hourIso(30), to: hourIso(40) },
      { to: hourIso(25), scopePartner: 'insureco' },
    ]);
  });

  test('a keyed-hash query in a partner’s view reads a lookup whose body holds a NUL escape; a NUL in a filter matches nothing', async () => {
    const store = await open(freshSchema());
    const hash = 'a'.repeat(64);
    const [entry] = await store.audit.append([
      {
        type: 'lookup',
        actor: { userId: 'anna', partnerId: 'police-nl' },
        partners: ['police-nl', 'boatreg-nl'],
        data: { identifierHashes: [hash], hits: [{ providerId: 'boatreg-nl', query: 0 }], note: 'a\u0000b' },
      },
    ]);
    const page = { order: 'asc', limit: 10 } as const;
    const inView = { keyedHash: hash, keyedHashInView: true, scopePartner: 'boatreg-nl' };
    expect((await store.audit.query(inView, page)).map((e) => e.seq)).toEqual([entry.seq]);
    expect(await store.audit.query({ ...inView, keyedHash: 'b'.repeat(64) }, page)).toEqual([]);
    // A filter value with a NUL matches nothing (no column holds one), rather than failing the query.
    expect(await store.audit.query({ request: 'a\u0000b' }, page)).toEqual([]);
    expect((await store.audit.query({ types: ['lookup', 'x\u0000'] }, page)).map((e) => e.seq)).toEqual([
      entry.seq,
    ]);
    expect(await store.audit.statsCounts({ scope: ALL_SCOPE, agreement: 'a\u0000b' })).toEqual([]);
  });

  test('the statistics equal a count of the whole log, for every scope and filter, also after a zone changes', async () => {
    // The property SQLite's counts meet (test/integration/audit-stats.test.ts), fewer runs; without the
    // agreement id holding a NUL, which the PostgreSQL log refuses in a column (log.test.ts).
    await fc.assert(
      statsAgreeWithRecount(
        async (now) => {
          const schema = freshSchema();
          const store = await openPgStore({ connectionString: PG_URL, schema, max: 4, now });
          return {
            store,
            async close() {
              await store.close();
              await dropSchema(schema);
            },
          };
        },
        statsEvent.filter((e) => !e.agreementId?.includes('\u0000')),
      ),
      { numRuns: 8, seed: 1116 },
    );
  });

  test('counts stay exact when three instances append at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([0, 1, 2].map(() => open(schema)));
    const zones = new Map([
      ['a-ams', 'Europe/Amsterdam'],
      ['a-ktm', 'Asia/Kathmandu'],
    ]);
    await stores[0].audit.useStatsZones(zones);
    const batches = fc.sample(fc.array(counted, { minLength: 1, maxLength: 3 }), { numRuns: 90, seed: 11 });
    await Promise.all(batches.map((batch, i) => stores[i % 3].audit.append(batch)));
    const entries = await stores[0].audit.read(1, 10_000);
    expect(entries).toHaveLength(batches.flat().length);
    const want = countOf(entries, zones);
    expect(want.size).toBeGreaterThan(20);
    for (const store of stores) expect(await storedCounts(store, SCOPES)).toEqual(want);

    // One instance moves a zone: the others, which counted in the old one, count in the new one.
    const moved = new Map([...zones, ['a-ams', 'America/St_Johns']]);
    await stores[1].audit.useStatsZones(moved);
    const more = fc.sample(fc.array(counted, { minLength: 1, maxLength: 3 }), { numRuns: 30, seed: 15 });
    await Promise.all(more.map((batch, i) => stores[i % 3].audit.append(batch)));
    const all = await stores[0].audit.read(1, 10_000);
    for (const store of stores) expect(await storedCounts(store, SCOPES)).toEqual(countOf(all, moved));
  });

  test('an agreement whose zone changes is counted again; the others are left as they are', async () => {
    const store = await open(freshSchema());
    await store.audit.append(fc.sample(counted, { numRuns: 60, seed: 12 }));
    const entries = await store.audit.read(1, 10_000);
    expect(await storedCounts(store, SCOPES)).toEqual(countOf(entries, new Map()));
    for (const zones of [
      new Map([['a-ams', 'Pacific/Kiritimati']]),
      new Map([
        ['a-ams', 'Etc/GMT+12'],
        ['a-ktm', 'Asia/Kathmandu'],
      ]),
      new Map([['a-ktm', 'Asia/Kathmandu']]),
    ]) {
      await store.audit.useStatsZones(zones);
      expect(await storedCounts(store, SCOPES)).toEqual(countOf(entries, zones));
    }
  });

  test('entries appended before the counts were kept are counted at the first useStatsZones', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    await store.audit.append(fc.sample(counted, { numRuns: 30, seed: 13 }));
    // As a log appended to before migration 5 finds itself: its entries in the backlog, nothing counted.
    const pool = testPool(schema, { max: 1 });
    try {
      await pool.query(`BEGIN;
        SELECT set_config('fsg.stats_recount', 'on', true);
        DELETE FROM audit_stats;
        UPDATE audit_stats_backlog SET upto = (SELECT max(seq) FROM audit_log);
        COMMIT`);
    } finally {
      await pool.end();
    }
    expect(await storedCounts(store, SCOPES)).toEqual(new Map());
    await store.audit.append(fc.sample(counted, { numRuns: 10, seed: 14 }));
    const zones = new Map([['a-ams', 'Europe/Amsterdam']]);
    await store.audit.useStatsZones(zones);
    const entries = await store.audit.read(1, 10_000);
    expect(entries).toHaveLength(40);
    expect(await storedCounts(store, SCOPES)).toEqual(countOf(entries, zones));
    // Counted once: the next call finds nothing left.
    await store.audit.useStatsZones(zones);
    expect(await storedCounts(store, SCOPES)).toEqual(countOf(entries, zones));
  });

  test('migration 5 puts the entries already in the log in the backlog', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const pool = testPool(schema, { max: 1 });
    try {
      await migratePg(
        pool,
        schema,
        PG_MIGRATIONS.filter((m) => m.version <= 2),
      );
      // Seven entries as an older gateway wrote them (only the columns matter here).
      await pool.query(
        `INSERT INTO audit_log (seq, ts, type, partners, body, prev_hash, hash)
         SELECT s, '2026-01-01T00:00:00.000Z', 'decision', '[]', '{}', '', '' FROM generate_series(1, 7) s`,
      );
      await migratePg(pool, schema);
      expect((await pool.query('SELECT upto FROM audit_stats_backlog')).rows).toEqual([{ upto: 7 }]);
    } finally {
      await pool.end();
    }
  });

  test('counts only grow: lowering, moving or removing one is refused outside a recount', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    await store.audit.append([
      {
        type: 'decision',
        actor: 'system',
        partners: ['p1'],
        agreementId: 'a-ams',
        outcome: 'permit',
        data: {},
      },
    ]);
    const before: StatsCount[] = await store.audit.statsCounts({ scope: ALL_SCOPE });
    expect(before.length).toBeGreaterThan(0);
    const pool: pg.Pool = testPool(schema, { max: 1 });
    try {
      for (const sql of [
        'UPDATE audit_stats SET n = n - 1',
        "UPDATE audit_stats SET day = '2000-01-01'",
        'DELETE FROM audit_stats',
        'TRUNCATE audit_stats',
        'DELETE FROM audit_stats_zones',
      ]) {
        await expect(pool.query(sql)).rejects.toThrow(/audit_stats/);
      }
    } finally {
      await pool.end();
    }
    expect(await store.audit.statsCounts({ scope: ALL_SCOPE })).toEqual(before);
  });
});
