/** Daily quotas as reservations (src/quotas/daily-quotas.ts), with a store count the test controls. */
import { memoryQuotas, type QuotaKey } from '../../src/quotas/daily-quotas';

const HOUR = 60 * 60 * 1000;
const day = new Date('2026-03-02T23:00:00Z');
const key = (overrides: Partial<QuotaKey> = {}): QuotaKey => ({
  partnerId: 'police-nl',
  userId: 'anna',
  agreementId: 'stolen-boats',
  since: day,
  ...overrides,
});

function setup(stored = 0) {
  let now = day.getTime() + HOUR;
  const loads: QuotaKey[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const count = async (k: QuotaKey) => {
    loads.push(k);
    await gate;
    return stored;
  };
  const quotas = memoryQuotas(count, () => new Date(now));
  return { quotas, loads, release, advance: (ms: number) => (now += ms) };
}

describe('daily quotas', () => {
  it('gives concurrent calls distinct places, after one load of the stored count', async () => {
    const { quotas, loads, release } = setup(7);
    const taking = Array.from({ length: 5 }, () => quotas.take(key()));
    release();
    const uses = await Promise.all(taking);
    expect(uses.map((u) => u.before)).toEqual([7, 8, 9, 10, 11]);
    expect((await quotas.take(key())).before).toBe(12);
    expect(loads).toHaveLength(1);
  });

  it('keys a person by partner and user, and each agreement and day apart', async () => {
    const { quotas, release, loads } = setup();
    release();
    await quotas.take(key());
    expect((await quotas.take(key())).before).toBe(1);
    expect((await quotas.take(key({ partnerId: 'police-se' }))).before).toBe(0);
    expect((await quotas.take(key({ agreementId: 'stolen-vehicles' }))).before).toBe(0);
    expect((await quotas.take(key({ since: new Date(day.getTime() + 24 * HOUR) }))).before).toBe(0);
    expect(loads).toHaveLength(4);
  });

  it('keeps a use counted when its write failed (fail closed)', async () => {
    const { quotas, release } = setup();
    release();
    const failed = await quotas.take(key());
    failed.settle();
    failed.settle();
    expect((await quotas.take(key())).before).toBe(1);
  });

  it('forgets past days, but never one with a use still being written', async () => {
    const { quotas, release, loads, advance } = setup(3);
    release();
    const open = await quotas.take(key());
    const done = await quotas.take(key({ userId: 'tom' }));
    done.settle();
    advance(26 * HOUR);
    await quotas.take(key({ since: new Date(day.getTime() + 24 * HOUR) }));
    // tom's past day was forgotten (asking again loads it again); anna's, still in flight, was kept.
    expect((await quotas.take(key())).before).toBe(4);
    expect((await quotas.take(key({ userId: 'tom' }))).before).toBe(3);
    expect(loads.map((k) => k.userId)).toEqual(['anna', 'tom', 'anna', 'tom']);
    open.settle();
  });

  it('tries a failed load again on the next call, and fails the calls that waited for it', async () => {
    let fail = true;
    const quotas = memoryQuotas(
      async () => {
        if (fail) throw new Error('store down');
        return 2;
      },
      () => day,
    );
    await expect(Promise.all([quotas.take(key()), quotas.take(key())])).rejects.toThrow('store down');
    fail = false;
    expect((await quotas.take(key())).before).toBe(2);
  });
});
