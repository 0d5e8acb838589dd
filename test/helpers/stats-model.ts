/**
 * The DPO's statistics against their meaning, whatever store keeps the counts: random logs and
 * filters, and `recount`, the statistics as AuditService.stats counted them before (every entry read
 * and counted one by one, each day in its agreement's zone).
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { Checkpointer } from '../../src/audit/checkpointer';
import { createSigner } from '../../src/audit/checkpoint';
import { AuditService, type StatsRow } from '../../src/audit/service';
import type { AuditEntry, AuditEventInput } from '../../src/audit/types';
import type { Identity } from '../../src/auth/identity';
import type { Bundle } from '../../src/policy/types';
import { localDate } from '../../src/time/zones';
import type { Store } from '../../src/store/port';

export const PARTNERS = ['p1', 'p2', 'p3'];
export const SAFES = ['people', 'project', 'setting', 'data', 'output'];
/** Agreements and their zones: a DST change, a quarter-hour offset, half-hour DST; one unknown, none. */
export const ZONES: Record<string, string> = {
  'a-ams': 'Europe/Amsterdam',
  'a-ktm': 'Asia/Kathmandu',
  'a-lhi': 'Australia/Lord_Howe',
  'a-utc': 'UTC',
};
/** A lookup may name any agreement id: one that looks like the separator of a count's key too. */
export const AGREEMENTS = [...Object.keys(ZONES), 'a-unknown', 'a-utc\u0000reason:FAKE', '["*"', undefined];
export const START = Date.parse('2026-03-27T18:00:00.000Z'); // two days before Amsterdam's clocks go forward

export function bundleOf(zones: Record<string, string>): Bundle {
  return {
    partners: new Map<string, { id: string; supervisor?: boolean }>([
      ['sup', { id: 'sup', supervisor: true }],
      ...PARTNERS.map((id): [string, { id: string }] => [id, { id }]),
    ]),
    agreements: new Map(
      Object.entries(zones).map(([id, timezone]) => [
        id,
        { id, timezone, parties: { requesters: ['p1'], providers: ['p2', 'p3'] } },
      ]),
    ),
  } as unknown as Bundle;
}

export const dpo = (partnerId: string): Identity => ({
  userId: 'dpo',
  partnerId,
  issuer: 'test',
  amr: [],
  mfa: true,
  mfaClaims: [],
  expiresAt: 0,
});

/** The statistics as AuditService.stats counted them before: every entry read, counted one by one. */
export function recount(
  entries: readonly AuditEntry[],
  bundle: Bundle,
  scope: string | undefined,
  filter: { from?: string; to?: string; agreement?: string },
): StatsRow[] {
  const rows = new Map<string, StatsRow>();
  for (const entry of entries) {
    if (!['decision', 'lookup', 'disclosure'].includes(entry.type)) continue;
    if (scope !== undefined && !entry.partners.includes(scope)) continue;
    if (filter.from && entry.ts < filter.from) continue;
    if (filter.to && entry.ts >= filter.to) continue;
    if (filter.agreement && entry.agreementId !== filter.agreement) continue;
    const zone = (entry.agreementId && bundle.agreements.get(entry.agreementId)?.timezone) || 'UTC';
    const day = localDate(new Date(entry.ts), zone);
    const key = `${entry.agreementId ?? ''}\u0000${day}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        agreementId: entry.agreementId,
        day,
        requests: 0,
        lookups: 0,
        permits: 0,
        denials: 0,
        deniedBySafe: {},
        denialReasons: {},
        disclosures: 0,
        recordsReleased: 0,
      };
      rows.set(key, row);
    }
    if (entry.type === 'decision' || entry.type === 'lookup') {
      if (entry.type === 'decision') row.requests++;
      else row.lookups++;
      if (entry.outcome === 'permit') row.permits++;
      if (entry.outcome === 'deny') {
        row.denials++;
        const safes = (entry.data.safes ?? {}) as Record<string, { outcome?: string; codes?: unknown }>;
        for (const [safe, result] of Object.entries(safes)) {
          if (result?.outcome !== 'fail') continue;
          row.deniedBySafe[safe] = (row.deniedBySafe[safe] ?? 0) + 1;
          for (const code of Array.isArray(result.codes) ? result.codes : []) {
            row.denialReasons[String(code)] = (row.denialReasons[String(code)] ?? 0) + 1;
          }
        }
      }
    } else {
      row.disclosures++;
      const digests = entry.data.recordDigests;
      row.recordsReleased += Array.isArray(digests) ? digests.length : 0;
    }
  }
  return [...rows.values()].sort(
    (a, b) => (a.agreementId ?? '').localeCompare(b.agreementId ?? '') || a.day.localeCompare(b.day),
  );
}

export const event: fc.Arbitrary<AuditEventInput> = fc
  .record({
    type: fc.constantFrom('decision', 'lookup', 'disclosure', 'request.state', 'policy.load'),
    outcome: fc.option(fc.constantFrom('permit', 'deny', 'disclosed', 'other'), { nil: undefined }),
    agreementId: fc.constantFrom(...AGREEMENTS),
    partners: fc.subarray(PARTNERS),
    failed: fc.dictionary(
      fc.constantFrom(...SAFES),
      fc.array(fc.constantFrom('CODE_A', 'CODE_B', 'CODE_C'), { maxLength: 3 }),
    ),
    passed: fc.subarray(SAFES),
    digests: fc.option(fc.nat(3), { nil: undefined }),
  })
  .map(({ type, outcome, agreementId, partners, failed, passed, digests }) => ({
    type,
    actor: { userId: 'u', partnerId: partners[0] ?? 'p1' },
    partners,
    ...(agreementId ? { agreementId } : {}),
    ...(outcome ? { outcome } : {}),
    data: {
      safes: {
        ...Object.fromEntries(passed.map((s) => [s, { outcome: 'pass', codes: [] }])),
        ...Object.fromEntries(Object.entries(failed).map(([s, codes]) => [s, { outcome: 'fail', codes }])),
      },
      ...(digests === undefined ? {} : { recordDigests: Array.from({ length: digests }, (_, i) => `d${i}`) }),
    },
  }));

/** Steps of the clock between batches: mostly minutes, some up to a day. */
export const step = fc.oneof(
  { arbitrary: fc.integer({ min: 1_000, max: 3_600_000 }), weight: 4 },
  { arbitrary: fc.integer({ min: 1_000, max: 26 * 3_600_000 }), weight: 1 },
);

/**
 * A filter instant, given the times entries were appended at: none; near one of those times; or a
 * local midnight of one of the zones near one (a whole day there, part days elsewhere).
 */
export type Instant = (times: readonly number[]) => string | undefined;
export const instant: fc.Arbitrary<Instant> = fc.oneof(
  fc.constant(() => undefined),
  fc.tuple(fc.nat(), fc.integer({ min: -2 * 3_600_000, max: 2 * 3_600_000 })).map(
    ([i, offset]) =>
      (times: readonly number[]) =>
        new Date(times[i % times.length] + offset).toISOString(),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...Object.values(ZONES))).map(
    ([i, zone]) =>
      (times: readonly number[]) =>
        midnight(times[i % times.length], zone),
  ),
);

/** The first instant of `at`'s local date in `zone`, found by bisection (independent of the code). */
export function midnight(at: number, zone: string): string {
  const date = localDate(new Date(at), zone);
  let [lo, hi] = [at - 30 * 3_600_000, at];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(new Date(mid), zone) >= date) hi = mid;
    else lo = mid;
  }
  return new Date(hi).toISOString();
}

export function serviceFor(store: Store, bundle: () => Bundle): AuditService {
  const signer = createSigner(crypto.generateKeyPairSync('ed25519').privateKey);
  const clock = () => new Date();
  return new AuditService({
    store,
    bundle,
    secrets: { identifierKey: Buffer.alloc(32), pseudonymKey: Buffer.alloc(32) },
    clock,
    checkpointer: new Checkpointer({
      store,
      signer,
      clock,
      policy: { everyEntries: 1000, everySeconds: 300 },
    }),
  });
}

export async function allEntries(store: Store): Promise<AuditEntry[]> {
  return store.audit.read(1, 1_000_000);
}

/**
 * Whatever the batches appended (at times moving on), for every scope and filter the statistics equal
 * a count of the whole log, also after the bundle changes zones. `open` gives a fresh store;
 * `entries`, the events appended.
 */
export function statsAgreeWithRecount(
  open: (now: () => Date) => Promise<{ store: Store; close: () => Promise<void> }>,
  entries: fc.Arbitrary<AuditEventInput> = event,
) {
  return fc.asyncProperty(
    fc.array(fc.tuple(step, fc.array(fc.array(entries, { minLength: 1, maxLength: 4 }), { maxLength: 3 })), {
      minLength: 1,
      maxLength: 30,
    }),
    fc.array(fc.tuple(instant, instant, fc.constantFrom(...AGREEMENTS)), {
      minLength: 6,
      maxLength: 12,
    }),
    async (batches, filters) => {
      let now = START;
      const { store, close } = await open(() => new Date(now));
      let bundle = bundleOf(ZONES);
      const service = serviceFor(store, () => bundle);
      const times: number[] = [];
      try {
        for (const [advance, units] of batches) {
          now += advance;
          times.push(now);
          // Units appended together share one group transaction (their counts written once at its end).
          await Promise.all(units.map((events) => store.audit.append(events)));
        }
        const check = async () => {
          const entries = await allEntries(store);
          for (const scope of [undefined, ...PARTNERS]) {
            const identity = dpo(scope ?? 'sup');
            expect(await service.stats(identity, {})).toEqual(recount(entries, bundle, scope, {}));
            for (const [from, to, agreement] of filters) {
              const filter = { from: from(times), to: to(times), agreement };
              expect([filter, await service.stats(identity, filter)]).toEqual([
                filter,
                recount(entries, bundle, scope, filter),
              ]);
            }
          }
        };
        await check();
        // The bundle moves one agreement, drops one, gives the unknown one a zone: counted again.
        bundle = bundleOf({
          'a-ams': 'Asia/Kathmandu',
          'a-ktm': 'Asia/Kathmandu',
          'a-unknown': 'America/St_Johns',
        });
        await check();
      } finally {
        await close();
      }
    },
  );
}
