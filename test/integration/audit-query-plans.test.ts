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
import { searchableHashes } from '../../src/audit/chain';
import type { AuditEntry, AuditEventInput, AuditPage, AuditQuery } from '../../src/audit/types';
import { partnerFilter } from '../../src/audit/views';
import { openSqliteStore } from '../../src/store/sqlite';
import { buildQuery } from '../../src/store/sqlite/audit';
import type { Store } from '../../src/store/port';
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

// ---------------------------------------------------------------------------------------------------

const PARTNERS = ['police-nl', 'police-se', 'boatreg-nl', 'insureco'];
const TYPES = ['lookup', 'decision', 'disclosure', 'request.state', 'policy.load'];
const HASHES = ['1', '2', '3'].map((c) => c.repeat(64));
const REQUESTS = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];

const event: fc.Arbitrary<AuditEventInput> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    actor: fc.constantFrom(...PARTNERS.slice(0, 2)),
    user: fc.constantFrom('anna', 'sven'),
    partners: fc.subarray(PARTNERS),
    agreementId: fc.option(fc.constantFrom('stolen-boats', 'stolen-vehicles'), { nil: undefined }),
    requestId: fc.option(fc.constantFrom(...REQUESTS), { nil: undefined }),
    outcome: fc.option(fc.constantFrom('permit', 'deny'), { nil: undefined }),
    hashes: fc.subarray(HASHES),
    hits: fc.array(fc.record({ providerId: fc.constantFrom(...PARTNERS), query: fc.nat(3) }), {
      maxLength: 2,
    }),
  })
  .map((r) => ({
    type: r.type,
    actor: { userId: r.user, partnerId: r.actor },
    partners: [r.actor, ...r.partners],
    ...(r.agreementId ? { agreementId: r.agreementId } : {}),
    ...(r.requestId ? { requestId: r.requestId } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
    data: { identifierHashes: r.hashes, ...(r.type === 'lookup' ? { hits: r.hits } : {}) },
  }));

/** Up to three filters at a time (more select next to nothing in a log this small). */
const query: fc.Arbitrary<AuditQuery> = fc
  .tuple(
    fc.subarray(
      [
        'scopePartner',
        'partner',
        'types',
        'agreement',
        'actor',
        'keyedHash',
        'request',
        'outcome',
        'from',
        'to',
      ],
      { maxLength: 3 },
    ),
    fc.record({
      scopePartner: fc.constantFrom(...PARTNERS),
      partner: fc.constantFrom(...PARTNERS),
      types: fc.subarray(TYPES, { minLength: 1 }),
      agreement: fc.constantFrom('stolen-boats', 'stolen-vehicles'),
      actor: fc.record({
        partnerId: fc.constantFrom(...PARTNERS.slice(0, 2)),
        userId: fc.constantFrom('anna', 'sven'),
      }),
      keyedHash: fc.constantFrom(...HASHES),
      request: fc.constantFrom(...REQUESTS),
      outcome: fc.constantFrom('permit', 'deny'),
      from: fc.integer({ min: -5, max: 80 }),
      to: fc.integer({ min: -5, max: 80 }),
    }),
  )
  .map(
    ([keep, all]) =>
      Object.fromEntries(Object.entries(all).filter(([k]) => keep.includes(k))) as Partial<typeof all>,
  )
  .map(({ from, to, partner, keyedHash, ...rest }) => ({
    ...rest,
    ...(partner ? partnerFilter(rest.scopePartner, partner) : {}),
    ...(keyedHash ? { keyedHash, keyedHashInView: true } : {}),
    ...(from === undefined ? {} : { from: hourIso(from) }),
    ...(to === undefined ? {} : { to: hourIso(to) }),
  }));

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const hourIso = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

/** What the query selects, entry by entry (the SQL's meaning, views.ts's cut for a partner's view). */
function selects(q: AuditQuery, e: AuditEntry): boolean {
  if (q.scopePartner !== undefined && !e.partners.includes(q.scopePartner)) return false;
  if (q.partner !== undefined && q.partner !== q.scopePartner) {
    if (!e.partners.includes(q.partner)) return false;
    const cut = q.viewCutTypes?.includes(e.type) && q.scopePartner !== undefined;
    if (cut && e.actorPartner !== q.partner && e.actorPartner !== q.scopePartner) return false;
  }
  if (q.keyedHash !== undefined) {
    if (!searchableHashes(e.data).includes(q.keyedHash)) return false;
    if (
      q.keyedHashInView &&
      q.scopePartner !== undefined &&
      e.type === 'lookup' &&
      e.actorPartner !== q.scopePartner
    ) {
      const hits = (e.data.hits ?? []) as { providerId: string; query: number }[];
      const hashes = e.data.identifierHashes as string[];
      if (!hits.some((h) => h.providerId === q.scopePartner && hashes[h.query] === q.keyedHash)) return false;
    }
  }
  if (q.from !== undefined && e.ts < q.from) return false;
  if (q.to !== undefined && e.ts >= q.to) return false;
  if (q.actor && (e.actorUser !== q.actor.userId || e.actorPartner !== q.actor.partnerId)) return false;
  if (q.agreement !== undefined && e.agreementId !== q.agreement) return false;
  if (q.request !== undefined && e.requestId !== q.request) return false;
  if (q.outcome !== undefined && e.outcome !== q.outcome) return false;
  if (q.types !== undefined && !q.types.includes(e.type)) return false;
  return true;
}

/** Every page of the query in `order`, 7 entries a page, by the keyset cursor. */
async function allPages(store: Store, q: AuditQuery, order: 'asc' | 'desc'): Promise<number[]> {
  const seqs: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.audit.query(q, { order, after, limit: 7 });
    seqs.push(...page.map((e) => e.seq));
    if (page.length < 7) return seqs;
    after = page[page.length - 1].seq;
  }
}

describe('DPO queries', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-queries-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function agree(store: Store, queries: AuditQuery[]): Promise<void> {
    const entries = await store.audit.read(1, 100_000);
    // Most queries find something: the comparison is not of empty lists.
    const found = queries.filter((q) => entries.some((e) => selects(q, e)));
    expect(found.length).toBeGreaterThan(queries.length / 2);
    for (const q of queries) {
      const want = entries.filter((e) => selects(q, e)).map((e) => e.seq);
      expect([q, await allPages(store, q, 'asc')]).toEqual([q, want]);
      expect([q, await allPages(store, q, 'desc')]).toEqual([q, [...want].reverse()]);
    }
  }

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
