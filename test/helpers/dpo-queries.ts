/**
 * The DPO's queries checked against their meaning, whatever store serves them: logs of random entries
 * (`event`), random filters (`query`), what a filter selects entry by entry (`selects`), and `agree`,
 * which reads every page of each query both ways and compares.
 */
import fc from 'fast-check';
import { searchableHashes } from '../../src/audit/chain';
import type { AuditEntry, AuditEventInput, AuditQuery } from '../../src/audit/types';
import { partnerFilter } from '../../src/audit/views';
import type { Store } from '../../src/store/port';

export const PARTNERS = ['police-nl', 'police-se', 'boatreg-nl', 'insureco'];
export const TYPES = ['lookup', 'decision', 'disclosure', 'request.state', 'policy.load'];
export const HASHES = ['1', '2', '3'].map((c) => c.repeat(64));
export const REQUESTS = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];

export const event: fc.Arbitrary<AuditEventInput> = fc
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
export const query: fc.Arbitrary<AuditQuery> = fc
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

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const hourIso = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

/** What the query selects, entry by entry (the SQL's meaning, views.ts's cut for a partner's view). */
export function selects(q: AuditQuery, e: AuditEntry): boolean {
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
export async function allPages(store: Store, q: AuditQuery, order: 'asc' | 'desc'): Promise<number[]> {
  const seqs: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.audit.query(q, { order, after, limit: 7 });
    seqs.push(...page.map((e) => e.seq));
    if (page.length < 7) return seqs;
    after = page[page.length - 1].seq;
  }
}

export async function agree(store: Store, queries: AuditQuery[]): Promise<void> {
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
