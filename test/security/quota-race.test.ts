/**
 * Hole 6: a daily quota holds under concurrency. Each decision takes its own place in the day's count
 * before it is made, so parallel calls cannot all read the same count and all be permitted.
 *
 * The race is forced, not hoped for: every write of a lookup or request is held until all the calls
 * have reached their write, so on a count-then-write design every call decides on the same count.
 */
import type { Response } from 'supertest';
import type { LookupStore, RequestStore } from '../../src/store/port';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let anna: { Authorization: string };
const QUOTA = 50; // stolen-boats: dailyQuotaPerUser
const CALLS = 60;

beforeEach(async () => {
  gw = await createTestGateway();
  anna = { Authorization: `Bearer ${await gw.token('anna')}` };
});
afterEach(() => gw.close());

/** Holds every call of `method` on `target` until `count` calls are waiting, then lets them all go. */
function barrier<T extends object, K extends keyof T>(target: T, method: K, count: number): () => void {
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  const waiting: (() => void)[] = [];
  (target as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === count) waiting.splice(0).forEach((go) => go());
    });
    return original.apply(target, args);
  };
  return () => {
    (target as Record<K, unknown>)[method] = original;
  };
}

const codes = (body: { decision?: { safes: Record<string, { reasons: { code: string }[] }> } }) =>
  Object.values(body.decision?.safes ?? {}).flatMap((s) => s.reasons.map((r) => r.code));

/** `CALLS` parallel calls, each one's write held until all of them have reached theirs. */
async function race<T extends object>(store: T, create: keyof T, call: (i: number) => Promise<Response>) {
  const release = barrier(store, create, CALLS);
  try {
    return await Promise.all(Array.from({ length: CALLS }, (_, i) => call(i)));
  } finally {
    release();
  }
}

/** Exactly QUOTA answers `ok`, the rest refused for the quota alone. */
function expectQuotaHeld(answers: Response[], ok: number) {
  expect(answers.filter((r) => r.status === ok)).toHaveLength(QUOTA);
  const denied = answers.filter((r) => r.status !== ok);
  expect(denied).toHaveLength(CALLS - QUOTA);
  for (const r of denied) expect(codes(r.body)).toEqual(['PROJECT_QUOTA_EXCEEDED']);
}

const lookup = (caseNo: number) =>
  gw.http
    .post('/api/v1/lookups')
    .set(anna)
    .send({
      agreementId: 'stolen-boats',
      identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
      purpose: 'stolen-property-investigation',
      caseRef: `NL-2026-${caseNo}`,
    });

describe('hole 6: quotas under concurrency', () => {
  it(`hole 6: ${CALLS} parallel lookups against a quota of ${QUOTA}: exactly ${QUOTA} permitted`, async () => {
    expectQuotaHeld(await race(gw.store.lookups as LookupStore, 'create', (i) => lookup(100_000 + i)), 200);
    // And the count holds after the race: the next one is refused too.
    expect((await lookup(200_000)).status).toBe(403);
  });

  it(`hole 6: ${CALLS} parallel detail requests against a quota of ${QUOTA}: exactly ${QUOTA} permitted`, async () => {
    const request = (i: number) =>
      gw.http
        .post('/api/v1/requests')
        .set(anna)
        .send(boatRequest({ caseRef: `NL-2026-${300_000 + i}` }));
    expectQuotaHeld(await race(gw.store.requests as RequestStore, 'create', request), 201);
  });
});
