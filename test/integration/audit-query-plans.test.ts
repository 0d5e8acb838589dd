/**
 * Every DPO query (the events pages with each combination of the API's filters, both orders, with and
 * without a cursor; the export's pages; a proof's and a receipt's entry) is read from an index in the
 * order asked, for the supervisor's DPO and a partner's: SQLite's plan has no temporary B-tree for the
 * ORDER BY and no full scan of the log where an index can narrow it. And whatever plan serves it, a query
 * returns exactly the entries its filters select, in order, page after page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { AuditPage, AuditQuery } from '../../src/audit/types';
import { partnerFilter } from '../../src/audit/views';
import { openSqliteStore } from '../../src/store/sqlite';
import { buildQuery } from '../../src/store/sqlite/audit';
import { agree, event, hourIso, query, T0 } from '../helpers/dpo-queries';
import { writeLegacyLog } from '../helpers/legacy-log';

const COLUMNS = 'a.body, a.hash';
const HASH = 'a'.repeat(64);

/** The filters the DPO API and the portal offer (src/audit/service.ts toQuery), as query fields. */
const FILTERS: Record<string, (scope: string | undefined) => Partial<AuditQuery>> = {
  type: () => ({ types: ['disclosure'] }),
  types: () => ({ types: ['decision', 'lookup', 'disclosure'] }),
  agreement: () => ({ agreement: 'stolen-boats' }),
  user: () => ({ actor: { partnerId: 'police-nl', userId: 'anna' } }),
  identifier: (scope) => ({
    keyedHash: HASH,
    keyedHashInView: true,
    ...(scope ? { scopePartner: scope } : {}),
  }),
  period: () => ({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' }),
  from: () => ({ from: '2026-01-01T00:00:00.000Z' }),
  partner: (scope) => partnerFilter(scope, 'insureco'),
  request: () => ({ request: '00000000-0000-4000-8000-000000000001' }),
  outcome: () => ({ outcome: 'deny' }),
};

/** Every subset of the filters (the identifier and subject searches are the same keyed-hash query). */
function* combinations(): Iterable<string[]> {
  const names = Object.keys(FILTERS);
  for (let mask = 0; mask < 1 << names.length; mask++) {
    const chosen = names.filter((_, i) => mask & (1 << i));
    if (chosen.includes('type') && chosen.includes('types')) continue;
    if (chosen.includes('period') && chosen.includes('from')) continue;
    yield chosen;
  }
}

describe('DPO query plans', () => {
  let dir: string;
  let db: Database.Database;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-plans-'));
    const file = path.join(dir, 'plans.sqlite');
    await openSqliteStore({ file }).close();
    db = new Database(file, { readonly: true });
  });
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The plan's lines; fails on a sort or on a full scan of the log where something narrows it. */
  function check(query: AuditQuery, page: AuditPage, what: string): void {
    const range = query.from === undefined && query.to === undefined ? undefined : { lo: 1, hi: 100 };
    const { sql, params } = buildQuery(query, page, COLUMNS, range);
    const plan = db
      .prepare<Record<string, unknown>, { detail: string }>('EXPLAIN QUERY PLAN ' + sql)
      .all(params)
      .map((row) => row.detail);
    const narrowed =
      query.scopePartner !== undefined ||
      query.partner !== undefined ||
      query.keyedHash !== undefined ||
      query.request !== undefined ||
      query.actor !== undefined ||
      query.agreement !== undefined ||
      query.types !== undefined ||
      query.seq !== undefined ||
      query.maxSeq !== undefined ||
      range !== undefined ||
      page.after !== undefined;
    const scans = plan.filter((line) => /^SCAN (a|d)\b/.test(line));
    expect([what, plan.filter((line) => line.includes('TEMP B-TREE'))]).toEqual([what, []]);
    expect([what, narrowed ? scans : []]).toEqual([what, []]);
  }

  it('serves every events page from an index in the order asked, for the supervisor and a partner', () => {
    let checked = 0;
    for (const scope of [undefined, 'boatreg-nl']) {
      for (const names of combinations()) {
        const query: AuditQuery = Object.assign({}, ...names.map((name) => FILTERS[name](scope)));
        if (scope) query.scopePartner = scope;
        for (const order of ['asc', 'desc'] as const) {
          for (const after of [undefined, 500]) {
            check(
              query,
              { order, after, limit: 51 },
              `${scope ?? 'supervisor'} ${names.join('+')} ${order} ${after}`,
            );
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it("serves the export's pages, a proof's entry and a receipt's entry from an index", () => {
    for (const scope of [undefined, 'boatreg-nl']) {
      for (const filter of [{}, { from: '2026-01-01T00:00:00.000Z' }, { to: '2026-02-01T00:00:00.000Z' }]) {
        for (const partner of [undefined, 'insureco']) {
          const query: AuditQuery = {
            ...filter,
            ...partnerFilter(scope, partner),
            ...(scope ? { scopePartner: scope } : {}),
            maxSeq: 1000,
          };
          for (const after of [undefined, 10])
            check(query, { order: 'asc', after, limit: 1000 }, `export ${scope}`);
        }
      }
      check(
        { seq: 7, ...(scope ? { scopePartner: scope } : {}) },
        { order: 'asc', limit: 1 },
        `proof ${scope}`,
      );
    }
    check(
      { request: '00000000-0000-4000-8000-000000000001', types: ['disclosure'] },
      { order: 'asc', limit: 1 },
      'receipt',
    );
  });
});

describe('DPO queries', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-queries-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('select exactly what their filters say, in order, page by page, whatever index serves them', async () => {
    // The clock goes back now and then: the log keeps its times in order (entryTime) all the same.
    let now = T0;
    const store = openSqliteStore({ file: path.join(dir, 'log.sqlite'), now: () => new Date(now) });
    try {
      const steps = fc.sample(fc.integer({ min: -3_600_000, max: 2 * 3_600_000 }), { numRuns: 80, seed: 5 });
      const events = fc.sample(event, { numRuns: 240, seed: 6 });
      for (let i = 0; i < events.length; i += 3) {
        now += steps[i / 3];
        await Promise.all([store.audit.append(events.slice(i, i + 2)), store.audit.append([events[i + 2]])]);
      }
      const entries = await store.audit.read(1, 1000);
      expect(entries.every((e, i) => i === 0 || e.ts >= entries[i - 1].ts)).toBe(true);
      await agree(store, fc.sample(query, { numRuns: 300, seed: 8 }));
    } finally {
      await store.close();
    }
  });

  it('find entries by period in a log from before schema version 11 whose clock was set back', async () => {
    const file = path.join(dir, 'legacy.sqlite');
    // Hours 0..59, then back to hour 20 for the last 60: both runs hold entries of hours 20..59.
    const events = fc.sample(event, { numRuns: 120, seed: 9 });
    writeLegacyLog(file, events, (i) => T0 + (i < 60 ? i : i - 40) * 3_600_000);
    const store = openSqliteStore({ file });
    try {
      await agree(store, [
        ...fc.sample(query, { numRuns: 150, seed: 10 }),
        { from: hourIso(30), to: hourIso(40) },
        { from: hourIso(30) },
        { to: hourIso(25), scopePartner: 'insureco' },
      ]);
    } finally {
      await store.close();
    }
  });
});
