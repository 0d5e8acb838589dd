/**
 * The DPO's statistics come from counts kept as entries are appended (src/audit/stats.ts,
 * src/store/sqlite/audit-stats.ts). Whatever the mix of entries, the scope (supervisor or partner) and the
 * filters (from, to, agreement), they must equal a count of the log from scratch made the way
 * AuditService.stats counted before (every entry read and counted, each day in its agreement's zone).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { AuditEventInput } from '../../src/audit/types';
import { LATEST_VERSION, openSqliteStore } from '../../src/store/sqlite';
import { migrate } from '../../src/store/sqlite/migrations';
import { createAudit } from '../../src/store/sqlite/audit';
import { createGroupCommitter } from '../../src/store/sqlite/group-commit';
import { writeLegacyLog } from '../helpers/legacy-log';
import {
  allEntries,
  bundleOf,
  dpo,
  event,
  PARTNERS,
  recount,
  serviceFor,
  START,
  statsAgreeWithRecount,
  ZONES,
} from '../helpers/stats-model';
import { logVerdict } from '../../src/audit/verdict';
import { verifyLogFast } from '../../src/audit/verify-fast';
import { verifyLogFile } from '../../src/audit/verify-file';

describe('statistics from counts kept as entries are appended', () => {
  it('equal a count of the whole log, for every scope and filter, also after a zone changes', async () => {
    await fc.assert(
      statsAgreeWithRecount(async (now) => {
        const store = openSqliteStore({ file: ':memory:', now });
        return { store, close: () => store.close() };
      }),
      { numRuns: 40, seed: 1116 },
    );
  }, 120_000);

  it('reads no entry for whole days: only the kept counts', async () => {
    let now = START;
    const store = openSqliteStore({ file: ':memory:', now: () => new Date(now) });
    const bundle = bundleOf(ZONES);
    const service = serviceFor(store, () => bundle);
    try {
      for (const e of fc.sample(event, { numRuns: 200, seed: 3 })) {
        now += 41 * 60_000;
        await store.audit.append([e]);
      }
      const query = jest.spyOn(store.audit, 'query');
      const read = jest.spyOn(store.audit, 'read');
      const entries = await allEntries(store);
      read.mockClear();
      for (const identity of [dpo('sup'), dpo('p2')]) {
        expect((await service.stats(identity, {})).length).toBeGreaterThan(0);
        // From a UTC midnight: a whole day for the agreements counted in UTC.
        const filter = { from: '2026-03-29T00:00:00.000Z', agreement: 'a-utc' };
        expect(await service.stats(identity, filter)).toEqual(
          recount(entries, bundle, identity.partnerId === 'sup' ? undefined : 'p2', filter),
        );
        await service.statsDays(identity, { fromDay: '2026-03-28', toDay: '2026-03-31' });
      }
      expect(query).not.toHaveBeenCalled();
      expect(read).not.toHaveBeenCalled();
      // A period that cuts a day reads that day's entries in the period, and only those.
      await service.stats(dpo('sup'), { from: '2026-03-29T12:00:00.000Z', agreement: 'a-utc' });
      expect(query.mock.calls.map(([q]) => [q.from, q.to])).toEqual([
        ['2026-03-29T12:00:00.000Z', '2026-03-30T00:00:00.000Z'],
      ]);
    } finally {
      await store.close();
    }
  });

  it("the Activity page's whole days equal the days of a count of the log", async () => {
    let now = START;
    const store = openSqliteStore({ file: ':memory:', now: () => new Date(now) });
    const bundle = bundleOf(ZONES);
    const service = serviceFor(store, () => bundle);
    try {
      const events = fc.sample(event, { numRuns: 300, seed: 7 });
      for (const e of events) {
        now += 37 * 60_000;
        await store.audit.append([e]);
      }
      const entries = await allEntries(store);
      for (const scope of [undefined, 'p1']) {
        for (const [fromDay, toDay] of [
          ['2026-03-28', '2026-03-30'],
          ['2026-03-29', '2026-03-29'],
          ['2026-03-01', '2026-04-30'],
        ]) {
          const want = recount(entries, bundle, scope, {}).filter((r) => r.day >= fromDay && r.day <= toDay);
          expect(await service.statsDays(dpo(scope ?? 'sup'), { fromDay, toDay })).toEqual(want);
        }
      }
    } finally {
      await store.close();
    }
  });

  it('keeps no count of a unit rolled back, and the counts of the others in its transaction', async () => {
    const db = new Database(':memory:');
    migrate(db);
    const memory = {
      save: () => audit.memory.save(),
      restore: (s: unknown) => audit.memory.restore(s),
      begin: () => audit.memory.begin(),
      beforeCommit: () => audit.memory.beforeCommit(),
      end: () => audit.memory.end(),
    };
    const group = createGroupCommitter(db, { memory });
    const audit = createAudit(
      db,
      () => new Date(START),
      (fn) => group.run(fn),
    );
    const decision = (outcome: string): AuditEventInput => ({
      type: 'decision',
      actor: 'system',
      partners: ['p1'],
      agreementId: 'a-utc',
      outcome,
      data: {},
    });
    const results = await Promise.allSettled([
      group.run(() => audit.appendInTx([decision('permit')])),
      group.run(() => {
        audit.appendInTx([decision('deny')]);
        throw new Error('this unit fails after its entry');
      }),
      group.run(() => audit.appendInTx([decision('permit')])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare("SELECT measure, n FROM audit_stats WHERE scope = '*' ORDER BY measure").all()).toEqual(
      [
        { measure: 'permits', n: 2 },
        { measure: 'requests', n: 2 },
      ],
    );
    // Outside a group transaction, an append writes its counts at once.
    db.transaction(() => audit.appendInTx([decision('deny')]))();
    expect(db.prepare("SELECT n FROM audit_stats WHERE scope = 'p1' AND measure = 'denials'").get()).toEqual({
      n: 1,
    });
    db.close();
  });

  it('refuses to lower, move or delete a count, and to remove a zone', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare("INSERT INTO audit_stats VALUES ('*', '2026-01-01', 'a', 'permits', 2)").run();
    db.prepare("INSERT INTO audit_stats_zones VALUES ('a', 'UTC')").run();
    expect(() => db.prepare('UPDATE audit_stats SET n = 1').run()).toThrow(/only grow/);
    expect(() => db.prepare("UPDATE audit_stats SET day = '2026-01-02'").run()).toThrow(/only grow/);
    expect(() => db.prepare('DELETE FROM audit_stats').run()).toThrow(/only by a recount/);
    expect(() => db.prepare('DELETE FROM audit_stats_zones').run()).toThrow(/never removed/);
    expect(() => db.prepare('UPDATE audit_ts_order SET from_seq = 2').run()).toThrow(/written once/);
    db.prepare('UPDATE audit_stats SET n = 3').run();
    expect(db.prepare('SELECT n FROM audit_stats').get()).toEqual({ n: 3 });
    db.close();
  });
});

describe('schema version 11', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-stats-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("counts the log from before it in the bundle's zones and finds where its times are in order", async () => {
    const file = path.join(dir, 'v10.sqlite');
    // The clock set back twice: entries 101.. and 301.. are dated before the ones before them.
    const at = (i: number) =>
      START + i * 25 * 60_000 - (i >= 100 ? 40 * 3_600_000 : 0) - (i >= 300 ? 3_600_000 : 0);
    const entries = writeLegacyLog(file, fc.sample(event, { numRuns: 400, seed: 11 }), at);

    const bundle = bundleOf(ZONES);
    const store = openSqliteStore({ file, statsZones: new Map(Object.entries(ZONES)) });
    try {
      const db = new Database(file, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(db.prepare('SELECT from_seq FROM audit_ts_order').pluck().get()).toBe(301);
      db.close();
      const service = serviceFor(store, () => bundle);
      for (const scope of [undefined, ...PARTNERS]) {
        const identity = dpo(scope ?? 'sup');
        expect(await service.stats(identity, {})).toEqual(recount(entries, bundle, scope, {}));
        const filter = {
          from: new Date(START + 86_400_000).toISOString(),
          to: new Date(START + 3 * 86_400_000).toISOString(),
        };
        expect(await service.stats(identity, filter)).toEqual(recount(entries, bundle, scope, filter));
      }
    } finally {
      await store.close();
    }
  });

  it('lets the verifier name a count the entries do not make, and an entry dated out of order', async () => {
    const file = path.join(dir, 'tampered.sqlite');
    const at = (i: number) => START + i * 25 * 60_000 - (i >= 100 ? 40 * 3_600_000 : 0);
    writeLegacyLog(file, fc.sample(event, { numRuns: 200, seed: 12 }), at);
    await openSqliteStore({ file, statsZones: new Map(Object.entries(ZONES)) }).close();
    const { publicKey } = crypto.generateKeyPairSync('ed25519');
    const input = { file, checkpoints: [], publicKey, allowNoCheckpoint: true, threads: 0, chunk: 16 };
    const intact = await verifyLogFast({ ...input, deep: true });
    expect(intact).toMatchObject({ ok: true, statistics: { counts: expect.any(Number) } });
    expect(intact.statistics!.mismatch).toBeUndefined();

    // One count more (the triggers let counts grow): the log is intact, its statistics are not.
    let db = new Database(file);
    db.prepare("UPDATE audit_stats SET n = n + 1 WHERE scope = '*' AND measure = 'disclosures'").run();
    db.close();
    const counted = await verifyLogFast({ ...input, deep: true });
    expect(counted.ok).toBe(false);
    expect(counted.firstBroken).toBeUndefined();
    expect(counted.statistics!.mismatch).toMatch(
      /^the stored count of \S+ on \d{4}-\d{2}-\d{2} under agreement/,
    );
    expect(logVerdict(counted)).toMatch(/^verdict: FAILED: statistics: the stored count of /);
    expect((await verifyLogFast({ ...input })).ok).toBe(true); // --fast does not count

    // The order of times claimed from #1: the entry dated back is named, by both verifiers.
    db = new Database(file);
    db.exec('DROP TRIGGER audit_ts_order_no_update');
    db.prepare('UPDATE audit_ts_order SET from_seq = 1').run();
    db.close();
    const late = await verifyLogFast({ ...input, deep: true });
    expect(late.firstBroken).toMatchObject({ seq: 101, reason: 'time-order' });
    expect(late.fellBack).toBe('entry #101: time-order');
    // Also where #101 starts a job: the order between jobs is checked too.
    expect((await verifyLogFast({ ...input, chunk: 4, deep: true })).fellBack).toBe('entry #101: time-order');
    const { threads: _threads, chunk: _chunk, ...sequential } = input;
    expect((await verifyLogFile(sequential)).firstBroken).toEqual(late.firstBroken);
  });
});
