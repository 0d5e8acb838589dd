/**
 * The report's figures, computed from what report.ts gathered: pure functions of log entries, ledger
 * records and the agreement, so each can be tested in a table.
 */
import { FIXED } from '../audit/stats';
import type { AuditEntry } from '../audit/types';
import type { StatsCount } from '../audit/stats';
import type { Agreement } from '../policy/types';
import { dueBy } from './overdue';
import { scaledTarget, type Period } from './period';
import type { Recorded } from './registry';
import {
  factsOf,
  screeningStanding,
  whyNotInForce,
  type NotInForce,
  type PartnershipFacts,
} from './standing';
import type { Outcome, Screening, ScreeningStanding } from './types';

export interface MonthActivity {
  month: string;
  requests: number;
  detailRequests: number;
  tables: number;
  lookups: number;
  hits: number;
  permits: number;
  denials: number;
  disclosures: number;
  recordsReleased: number;
  questions: number;
}

const emptyMonth = (month: string): MonthActivity => ({
  month,
  requests: 0,
  detailRequests: 0,
  tables: 0,
  lookups: 0,
  hits: 0,
  permits: 0,
  denials: 0,
  disclosures: 0,
  recordsReleased: 0,
  questions: 0,
});

// The stored measures, each reported as the DPO's statistics report it.
const MEASURES: Record<string, keyof MonthActivity> = FIXED;

/**
 * Activity by month: the statistics' stored counts (requests, lookups, permits, denials, disclosures,
 * records), and from the entries what they do not count (tables among the requests, hits, questions).
 * `monthOf` gives an entry's month in the agreement's time zone.
 */
export function activityByMonth(
  period: Period,
  counts: readonly StatsCount[],
  entries: readonly AuditEntry[],
  monthOf: (ts: string) => string,
) {
  const months = new Map(period.months.map((m) => [m, emptyMonth(m)]));
  const deniedBySafe: Record<string, number> = {};
  const denialReasons: Record<string, number> = {};
  for (const { day, measure, n } of counts) {
    const row = months.get(day.slice(0, 7));
    if (!row) continue;
    const fixed = MEASURES[measure];
    if (fixed) (row[fixed] as number) += n;
    else if (measure.startsWith('safe:')) bump(deniedBySafe, measure.slice(5), n);
    else if (measure.startsWith('reason:')) bump(denialReasons, measure.slice(7), n);
  }
  for (const entry of entries) {
    const row = months.get(monthOf(entry.ts));
    if (!row) continue;
    if (entry.type === 'decision' && entry.data?.kind === 'aggregate') row.tables += 1;
    if (entry.type === 'lookup' && Array.isArray(entry.data?.hits)) row.hits += entry.data.hits.length;
    if (entry.type === 'question.asked') row.questions += 1;
  }
  for (const row of months.values()) row.detailRequests = row.requests - row.tables;
  const byMonth = [...months.values()];
  const total = byMonth.reduce((sum, row) => {
    for (const key of Object.keys(sum) as (keyof MonthActivity)[])
      if (key !== 'month') (sum[key] as number) += row[key] as number;
    return sum;
  }, emptyMonth(period.label));
  return { total, byMonth, deniedBySafe: sorted(deniedBySafe), denialReasons: sorted(denialReasons) };
}

function bump(counts: Record<string, number>, key: string, n: number): void {
  if (key === '__proto__') return;
  counts[key] = (counts[key] ?? 0) + n;
}

const sorted = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface ProviderResponseTimes {
  providerId: string;
  /** Requests created in the period that went to the provider to answer. */
  received: number;
  answered: number;
  /** Hours from creation to the provider's answer, decline or release. */
  medianHours: number | null;
  p90Hours: number | null;
  /** Answered after the response time, or still unanswered past it. */
  overdue: number;
}

const ANSWERING = new Set(['answered', 'declined', 'disclosed']);
const HOUR_MS = 3_600_000;

/**
 * Response times per provider, from the `request.state` entries: a request entering awaiting_provider
 * in the period, and the first entry taking it to answered, declined or disclosed. Tables the gateway
 * computes never wait for the provider to answer and are not counted.
 */
export function responseTimes(
  agreement: Agreement,
  stateEntries: readonly AuditEntry[],
  inPeriod: (ts: string) => boolean,
  now: Date,
): ProviderResponseTimes[] {
  const created = new Map<string, { ts: string; providerId: string }>();
  const answeredAt = new Map<string, string>();
  for (const e of stateEntries) {
    if (e.type !== 'request.state' || !e.requestId) continue;
    if (e.data?.from === null && e.data?.to === 'awaiting_provider' && inPeriod(e.ts)) {
      const providerId = e.partners.find((p) => p !== e.actorPartner) ?? e.partners[0];
      created.set(e.requestId, { ts: e.ts, providerId });
    } else if (ANSWERING.has(String(e.data?.to)) && !answeredAt.has(e.requestId)) {
      answeredAt.set(e.requestId, e.ts);
    }
  }
  return agreement.parties.providers.map((providerId) => {
    const hours: number[] = [];
    let received = 0;
    let overdue = 0;
    for (const [id, c] of created) {
      if (c.providerId !== providerId) continue;
      received += 1;
      const answered = answeredAt.get(id);
      const due = dueBy(c.ts, agreement);
      if (answered) hours.push((Date.parse(answered) - Date.parse(c.ts)) / HOUR_MS);
      if (due !== undefined && (answered ?? now.toISOString()) > due) overdue += 1;
    }
    hours.sort((a, b) => a - b);
    return {
      providerId,
      received,
      answered: hours.length,
      medianHours: quantile(hours, 0.5),
      p90Hours: quantile(hours, 0.9),
      overdue,
    };
  });
}

/** The nearest-rank quantile of sorted values, in hours to one decimal (null when there are none). */
export function quantile(values: readonly number[], q: number): number | null {
  if (!values.length) return null;
  const rank = Math.max(1, Math.ceil(q * values.length));
  return Math.round(values[rank - 1] * 10) / 10;
}

/** Per goal: its target scaled to the period and the outcomes of its kind recorded in the period. */
export function goalsAchieved(agreement: Agreement, period: Period, outcomes: readonly Recorded<Outcome>[]) {
  const byKind: Record<string, number> = {};
  for (const o of outcomes) byKind[o.record.kind] = (byKind[o.record.kind] ?? 0) + 1;
  const goals = (agreement.goals ?? []).map((goal) => ({
    id: goal.id,
    title: goal.title,
    outcome: goal.outcome,
    target: scaledTarget(goal, period),
    per: goal.per,
    achieved: byKind[goal.outcome] ?? 0,
  }));
  return { recorded: outcomes.length, byKind: sorted(byKind), goals };
}

export interface PartyScreening {
  partnerId: string;
  today: ScreeningStanding['status'];
  /** The conditions of a clearance with conditions in effect today. */
  conditions: string[];
  nextReviewOn: string | null;
  /** Each change of standing during the period, with the day it took effect. */
  duringPeriod: { status: ScreeningStanding['status']; since: string }[];
}

const dayAfter = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * A party's standing today and during the period: walking the period's days, with the screenings
 * recorded by each day (`recordedDay`), every change of standing shows. A lapse dates from the day
 * after the review date (what the project safe applies), whenever the screening saying so was recorded.
 */
export function screeningStatus(
  partnerId: string,
  screenings: readonly Recorded<Screening>[],
  recordedDay: (recordedAt: string) => string,
  days: readonly string[],
  today: string,
): PartyScreening {
  const standingOn = (day: string, all: boolean) =>
    screeningStanding(
      factsOf(
        screenings.filter((s) => all || recordedDay(s.recordedAt) <= day).map((s) => s.record),
        [],
      ),
      partnerId,
      day,
    );
  const now = standingOn(today, true);
  const duringPeriod: PartyScreening['duringPeriod'] = [];
  for (const day of days) {
    if (day > today) break;
    const s = standingOn(day, false);
    if (duringPeriod[duringPeriod.length - 1]?.status === s.status) continue;
    const since = s.status === 'lapsed' ? dayAfter(s.screening.nextReviewOn) : day;
    duringPeriod.push({ status: s.status, since });
  }
  return {
    partnerId,
    today: now.status,
    conditions:
      now.status === 'cleared' && now.screening.outcome === 'cleared-with-conditions'
        ? now.screening.conditions
        : [],
    nextReviewOn: 'screening' in now ? now.screening.nextReviewOn : null,
    duringPeriod,
  };
}

/** Whether the agreement is in force now and, if not, every reason why. */
export function inForce(agreement: Agreement, facts: PartnershipFacts, now: Date) {
  const reasons = whyNotInForce(agreement, facts, now);
  const why = (r: NotInForce) => {
    switch (r.code) {
      case 'awaiting-parties':
        return `not accepted by ${r.parties.join(', ')}`;
      case 'revision-overdue':
        return `past its revision date ${r.reviseBy}`;
      case 'not-yet-valid':
      case 'expired':
        return `outside its validity ${agreement.validity.from} to ${agreement.validity.until}`;
    }
  };
  return {
    now: reasons.length === 0,
    reviseBy: agreement.reviseBy,
    notAcceptedBy: reasons.flatMap((r) => (r.code === 'awaiting-parties' ? r.parties : [])),
    why: reasons.map(why),
  };
}
