/**
 * Daily quotas as reservations. A call takes its place in the day's count before its decision is made,
 * in one synchronous step, so concurrent calls get distinct places and no two decide on the same count
 * (counting, deciding and writing as separate awaits let 20 parallel calls all read the same count).
 *
 * DailyQuotas is the seam, and the store provides it (store.quotas): a SQLite gateway's single
 * process owns its database, so memoryQuotas keeps the count in memory (loaded from the store once per
 * key, plus the uses taken since); gateways sharing one PostgreSQL database take each use with one
 * atomic increment there (src/store/postgres/quotas.ts).
 */
import type { Identity } from '../auth/identity';
import type { Agreement } from '../policy/types';
import { startOfLocalDay } from '../time/zones';
import type { QuotaKind, QuotaStore, Store } from '../store/port';

/** Whose quota, and which day: a person is (partner, user); the day is the agreement's local day. */
export interface QuotaKey {
  partnerId: string;
  userId: string;
  agreementId: string;
  /** When the agreement's local day began. */
  since: Date;
}

/** One use of a quota, taken before the decision it counts. */
export interface QuotaUse {
  /** Uses of the key's day taken before this one: the count the project safe compares with the quota. */
  readonly before: number;
  /** The use's write has ended, committed or failed. The use stays counted either way (fail closed). */
  settle(): void;
}

export interface DailyQuotas {
  /** Takes the next use of the key's day. */
  take(key: QuotaKey): Promise<QuotaUse>;
}

/** How many uses of the key's day the store holds (written before the key was loaded). */
export type CountSince = (key: QuotaKey) => Promise<number>;

/** A store's lookups or requests (store.lookups, store.requests), as far as quotas count them. */
export interface Counted {
  countSince(partnerId: string, userId: string, agreementId: string, since: Date): Promise<number>;
}

/** The count of a store's lookups or requests. */
export function countedBy(store: Counted): CountSince {
  return (key) => store.countSince(key.partnerId, key.userId, key.agreementId, key.since);
}

/** A local day lasts at most 25 hours (a DST change); after that its key can no longer be asked for. */
const DAY_OVER_MS = 25 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

interface Day {
  /** Uses counted: the store's count once loaded, plus every use taken since. */
  used: number;
  /** Uses whose write has not ended yet: the key is kept while there are any. */
  inFlight: number;
  since: number;
  /** Until the store's count is in. */
  loading?: Promise<void>;
}

/** Quotas of one process that owns its store: O(1) per use once a key is loaded. */
export function memoryQuotas(count: CountSince, clock: () => Date): DailyQuotas {
  const days = new Map<string, Day>();
  let sweptAt = clock().getTime();

  const use = (day: Day): QuotaUse => {
    const before = day.used++;
    day.inFlight++;
    let settled = false;
    return {
      before,
      settle() {
        if (!settled) day.inFlight--;
        settled = true;
      },
    };
  };

  /** Forgets past days, except those with uses still being written or a count still loading. */
  const sweep = (now: number) => {
    sweptAt = now;
    for (const [id, day] of days) {
      if (now - day.since >= DAY_OVER_MS && day.inFlight === 0 && !day.loading) days.delete(id);
    }
  };

  const load = (id: string, key: QuotaKey): Day => {
    const day: Day = { used: 0, inFlight: 0, since: key.since.getTime() };
    // One load per key, however many calls wait for it; a failed load is tried again by the next call.
    day.loading = count(key).then(
      (n) => {
        day.used += n;
        day.loading = undefined;
      },
      (error: unknown) => {
        days.delete(id);
        throw error;
      },
    );
    days.set(id, day);
    return day;
  };

  return {
    take(key) {
      const now = clock().getTime();
      if (now - sweptAt >= SWEEP_EVERY_MS) sweep(now);
      const id = JSON.stringify([key.partnerId, key.userId, key.agreementId, key.since.getTime()]);
      const day = days.get(id) ?? load(id, key);
      // Waiters resume in the order they came, each taking its place in one synchronous step.
      return day.loading ? day.loading.then(() => use(day)) : Promise.resolve(use(day));
    },
  };
}

/**
 * The caller's use of their daily quota under the agreement, taken before the decision. None (a count
 * of 0) for a caller the registry does not know, whom the people safe refuses whatever their count
 * (and tokens may name any number of users), nor under an unknown agreement, which has no quota.
 */
export function takeDailyQuota(
  quotas: DailyQuotas,
  identity: Identity,
  agreement: Agreement | undefined,
  accredited: boolean,
  now: Date,
): Promise<QuotaUse | undefined> {
  if (!accredited || !agreement) return Promise.resolve(undefined);
  return quotas.take({
    partnerId: identity.partnerId,
    userId: identity.userId,
    agreementId: agreement.id,
    since: startOfLocalDay(now, agreement.timezone),
  });
}

/** One kind of the store's quotas (lookups or requests) as the services take them. */
export function quotasOf(store: Pick<Store, 'quotas'>, kind: QuotaKind): DailyQuotas {
  return { take: (key) => store.quotas.take(kind, key) };
}

/** The quotas of a store whose one process counts in memory (SQLite): one memoryQuotas per kind. */
export function processQuotas(counts: Record<QuotaKind, Counted>, clock: () => Date): QuotaStore {
  const kinds = {
    lookups: memoryQuotas(countedBy(counts.lookups), clock),
    requests: memoryQuotas(countedBy(counts.requests), clock),
  };
  return { take: (kind, key) => kinds[kind].take(key) };
}
