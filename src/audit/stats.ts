/**
 * The DPO's statistics (`GET /api/v1/audit/stats`, the portal's Activity page): what each entry of the
 * log counts for. The store keeps these counts as entries are appended, in the transaction that appends
 * them (src/store/sqlite/audit-stats.ts), so that reading them costs the same at any size of the log;
 * the verifier counts the bodies again and compares (verify-fast.ts).
 *
 * An entry of type decision, lookup or disclosure counts
 * - in scope `*` (every entry: the supervisor's DPO) and in the scope of each partner it names (that
 *   partner's DPO sees exactly the entries that name it);
 * - under its agreement (`''` for none) and its day: the date of its ts in the agreement's time zone,
 *   UTC for an entry without an agreement or whose agreement the bundle does not hold;
 * - for these measures: `requests` (a detail or aggregate request decided) or `lookups`, `permits`,
 *   `denials`, `safe:<name>` once for each safe that failed a denial and `reason:<code>` once for each of
 *   its codes, `disclosures` and `records` (the record digests a disclosure released).
 */
import type { AuditEntry } from './types';
import { localDayAt, localDays } from '../time/zones';

/** The entry types the statistics count. */
export const STATS_TYPES: readonly string[] = ['decision', 'lookup', 'disclosure'];

/** The scope of every entry (a supervisor's DPO); a partner's scope is its id. */
export const ALL_SCOPE = '*';

/** The agreement of entries without one, as counted. */
export const NO_AGREEMENT = '';

/** Each agreement's time zone (agreements not named: UTC). */
export type StatsZones = ReadonlyMap<string, string>;

export const zoneOf = (zones: StatsZones, agreement: string): string =>
  (agreement !== NO_AGREEMENT && zones.get(agreement)) || 'UTC';

/** The time zones of a bundle's agreements, as the statistics count days. */
export function statsZonesOf(agreements: Iterable<{ id: string; timezone?: string }>): Map<string, string> {
  const zones = new Map<string, string>();
  for (const a of agreements) zones.set(a.id, a.timezone || 'UTC');
  return zones;
}

/** What the statistics read of an entry. */
export type CountedEntry = Pick<AuditEntry, 'ts' | 'type' | 'agreementId' | 'outcome' | 'partners' | 'data'>;

/** Which stored counts to read: one scope, maybe one agreement, days fromDay..toDay (inclusive). */
export interface StatsCountQuery {
  /** ALL_SCOPE, or a partner. */
  scope: string;
  agreement?: string;
  fromDay?: string;
  toDay?: string;
}

/** One stored count. */
export interface StatsCount {
  day: string;
  agreement: string;
  measure: string;
  n: number;
}

/** The measures an entry counts for (a measure may repeat: a code given twice counts twice). */
export function measuresOf(entry: CountedEntry): [measure: string, n: number][] {
  const found: [string, number][] = [];
  if (entry.type === 'decision' || entry.type === 'lookup') {
    found.push([entry.type === 'decision' ? 'requests' : 'lookups', 1]);
    if (entry.outcome === 'permit') found.push(['permits', 1]);
    if (entry.outcome === 'deny') {
      found.push(['denials', 1]);
      const safes = (entry.data?.safes ?? {}) as Record<string, { outcome?: string; codes?: unknown }>;
      for (const [safe, result] of Object.entries(safes)) {
        if (result?.outcome !== 'fail') continue;
        found.push([`safe:${safe}`, 1]);
        for (const code of Array.isArray(result.codes) ? result.codes : []) {
          found.push([`reason:${String(code)}`, 1]);
        }
      }
    }
  } else if (entry.type === 'disclosure') {
    found.push(['disclosures', 1]);
    const digests = entry.data?.recordDigests;
    if (Array.isArray(digests) && digests.length > 0) found.push(['records', digests.length]);
  }
  return found;
}

/** The scopes an entry counts in. */
export function scopesOf(entry: Pick<CountedEntry, 'partners'>): string[] {
  return [ALL_SCOPE, ...new Set(entry.partners)];
}

/**
 * Counts entries, in memory: keyed by scope, day, agreement and measure. The store's pending counts of a
 * transaction, a recount, the verifier's count of the bodies, the edges of a filtered period.
 */
export class StatsTally {
  readonly counts = new Map<string, number>();

  /** `dayOf`: a localDays() kept across tallies saves finding the current day's bounds again. */
  constructor(
    private readonly zones: StatsZones,
    private readonly dayOf = localDays(),
  ) {}

  /** The day `entry` counts under. */
  day(entry: Pick<CountedEntry, 'ts' | 'agreementId'>): string {
    return this.dayOf(Date.parse(entry.ts), zoneOf(this.zones, entry.agreementId ?? NO_AGREEMENT));
  }

  /**
   * Adds `entry` in each of `scopes` (default: every scope it counts in); false when it counts for
   * nothing (also when its ts is no time: no entry the gateway writes, and the verifier names it).
   */
  add(entry: CountedEntry, scopes: readonly string[] = scopesOf(entry)): boolean {
    const measures = measuresOf(entry);
    const at = Date.parse(entry.ts);
    if (measures.length === 0 || Number.isNaN(at)) return false;
    const zone = zoneOf(this.zones, entry.agreementId ?? NO_AGREEMENT);
    const day = this.dayOf(at, zone);
    const agreement = entry.agreementId ?? NO_AGREEMENT;
    for (const scope of scopes) {
      for (const [measure, n] of measures) {
        const key = countKey({ scope, day, agreement, measure });
        this.counts.set(key, (this.counts.get(key) ?? 0) + n);
      }
    }
    return true;
  }

  /** The counts as rows, with their scope. */
  *rows(): Iterable<StatsCount & { scope: string }> {
    for (const [key, n] of this.counts) yield { ...fromCountKey(key), n };
  }
}

/**
 * Counts a stored body (a recount, the log from before the counts were kept). One that is not an
 * entry's (a damaged log: the verifier names it) counts for nothing here rather than stopping the count.
 */
export function addStoredBody(tally: StatsTally, body: string): void {
  let entry: unknown;
  try {
    entry = JSON.parse(body);
  } catch {
    return;
  }
  const e = entry as Partial<CountedEntry> | null;
  if (typeof e?.ts !== 'string' || typeof e.type !== 'string' || !Array.isArray(e.partners)) return;
  tally.add({ ...e, agreementId: e.agreementId ?? null, outcome: e.outcome ?? null } as CountedEntry);
}

/** The agreements whose zone counting under `wanted` instead of `have` changes (unnamed: UTC), sorted. */
export function changedZones(have: StatsZones, wanted: StatsZones): string[] {
  return [...new Set([...have.keys(), ...wanted.keys()])]
    .filter((a) => (have.get(a) ?? 'UTC') !== (wanted.get(a) ?? 'UTC'))
    .sort();
}

type CountId = Omit<StatsCount, 'n'> & { scope: string };

/**
 * The key of a count (StatsTally's, and the verifier's of the stored ones): JSON, for an agreement id
 * is any text a request gave (no separator could be kept out of it).
 */
export const countKey = (c: CountId): string => JSON.stringify([c.scope, c.day, c.agreement, c.measure]);

export function fromCountKey(key: string): CountId {
  const [scope, day, agreement, measure] = JSON.parse(key) as string[];
  return { scope, day, agreement, measure };
}

export interface StatsRow {
  agreementId: string | null;
  /** The day in the agreement's time zone (UTC for entries without a known agreement). */
  day: string;
  /** Detail and aggregate requests decided. */
  requests: number;
  /** Hit/no-hit lookups decided. Permits, denials and the safes count both. */
  lookups: number;
  permits: number;
  denials: number;
  deniedBySafe: Record<string, number>;
  denialReasons: Record<string, number>;
  disclosures: number;
  recordsReleased: number;
}

/** The stored measures counted as they are, by the field each is reported as (the report's too). */
export const FIXED = {
  requests: 'requests',
  lookups: 'lookups',
  permits: 'permits',
  denials: 'denials',
  disclosures: 'disclosures',
  records: 'recordsReleased',
} as const satisfies Record<string, keyof StatsRow>;

/** The API's rows from counts (one scope): per agreement and day, by agreement then day. */
export function statsRows(counts: Iterable<StatsCount>): StatsRow[] {
  const rows = new Map<string, StatsRow>();
  for (const { day, agreement, measure, n } of counts) {
    const key = `${agreement}\u0000${day}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        agreementId: agreement === NO_AGREEMENT ? null : agreement,
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
    const fixed = FIXED[measure as keyof typeof FIXED];
    if (fixed) (row[fixed] as number) += n;
    else if (measure.startsWith('safe:')) add(row.deniedBySafe, measure.slice(5), n);
    else if (measure.startsWith('reason:')) add(row.denialReasons, measure.slice(7), n);
  }
  for (const row of rows.values()) {
    row.deniedBySafe = sortedKeys(row.deniedBySafe);
    row.denialReasons = sortedKeys(row.denialReasons);
  }
  return [...rows.values()].sort(
    (a, b) => (a.agreementId ?? '').localeCompare(b.agreementId ?? '') || a.day.localeCompare(b.day),
  );
}

/** Own data properties whatever the name (a code "__proto__" is a count like any other). */
function add(counts: Record<string, number>, name: string, n: number): void {
  const had = Object.hasOwn(counts, name) ? counts[name] : 0;
  Object.defineProperty(counts, name, {
    value: had + n,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const sortedKeys = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * A period of the log cut into whole days and the part days at its ends, in one time zone: the whole
 * days' figures are the stored counts, the part days' entries are counted again.
 */
export interface DayCut {
  /** The first and last day with entries in the period (undefined: unbounded). */
  first?: string;
  last?: string;
  /** The first day is cut by `from`, the last by `to`: only part of it is in the period. */
  firstPartial: boolean;
  lastPartial: boolean;
  /** Where the part days are, as instants (ms): [from, end of the first day), [start of the last, to). */
  windows: [number, number][];
}

/**
 * Days are cut only between these instants: a filter beyond them (the API takes years 0000-9999) leaves
 * that end uncut, as no log holds an entry dated outside (local dates compare as text in 1000-9999).
 */
const CUT_FROM = Date.UTC(1600, 0, 1);
const CUT_TO = Date.UTC(9999, 0, 1);

/** The period [from, to) (ISO instants; either may be absent) in `timeZone`; undefined when it is empty. */
export function cutPeriod(
  from: string | undefined,
  to: string | undefined,
  timeZone: string,
): DayCut | undefined {
  const asked = [from, to].map((t) => (t === undefined ? undefined : Date.parse(t)));
  if (asked[0] !== undefined && asked[1] !== undefined && asked[0] >= asked[1]) return undefined;
  const lo = asked[0] === undefined || asked[0] < CUT_FROM ? undefined : Math.min(asked[0], CUT_TO);
  const hi = asked[1] === undefined || asked[1] > CUT_TO ? undefined : Math.max(asked[1], CUT_FROM);
  const cut: DayCut = { firstPartial: false, lastPartial: false, windows: [] };
  if (lo !== undefined) {
    const first = localDayAt(lo, timeZone);
    cut.first = first.day;
    cut.firstPartial = first.start < lo;
    if (cut.firstPartial) cut.windows.push([lo, hi === undefined ? first.end : Math.min(first.end, hi)]);
  }
  if (hi !== undefined) {
    const last = localDayAt(hi - 1, timeZone);
    cut.last = last.day;
    cut.lastPartial = last.end > hi;
    if (cut.lastPartial) cut.windows.push([lo === undefined ? last.start : Math.max(last.start, lo), hi]);
  }
  return cut;
}

/** Whether `day` is a whole day of the period (its figures the stored counts). */
export function isWholeDay(cut: DayCut, day: string): boolean {
  if (cut.first !== undefined && (day < cut.first || (day === cut.first && cut.firstPartial))) return false;
  if (cut.last !== undefined && (day > cut.last || (day === cut.last && cut.lastPartial))) return false;
  return true;
}

/** Whether `day` is a part day of the period (its entries counted again, those in the period). */
export function isPartDay(cut: DayCut, day: string): boolean {
  return (cut.firstPartial && day === cut.first) || (cut.lastPartial && day === cut.last);
}

/** Instant intervals joined where they overlap or touch, in order. */
export function joinWindows(windows: readonly [number, number][]): [number, number][] {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = joined[joined.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else joined.push([lo, hi]);
  }
  return joined;
}
