/**
 * The monitoring and evaluation report of one agreement over a period (issue 21, item 5): activity,
 * denials, response times per provider, outcomes against goals, the parties' screening, changes to the
 * agreement, and whether it is in force. Read by the parties' named contacts and DPOs, a supervisor's
 * DPO and the gateway's admins; to anyone else the agreement does not exist (404).
 */
import type { Identity } from '../auth/identity';
import { ALL_SCOPE } from '../audit/stats';
import type { AuditEntry, AuditQuery } from '../audit/types';
import { isActive } from '../http/guard';
import { problems } from '../http/problem';
import { allows } from '../policy/enforce';
import type { Agreement, Bundle } from '../policy/types';
import type { Store } from '../store/port';
import { localDate, localDayAt } from '../time/zones';
import { isNamedContact } from './contacts';
import { daysOf, parsePeriod, quarterOf, type Period } from './period';
import type { PartnershipRegistry } from './registry';
import { activityByMonth, goalsAchieved, inForce, responseTimes, screeningStatus } from './report-figures';
import { agreementToday, factsOf, partiesOf } from './standing';

export const REPORT_ACTION = 'reports:read';

export interface ReportServiceDeps {
  store: Store;
  bundle: () => Bundle;
  clock: () => Date;
  partnership: PartnershipRegistry;
}

const PAGE = 1000;
/**
 * The entries the report counts beside the stored counts: tables among the decisions, hits of the
 * lookups, questions (when the gateway asks them). Response times read the `request.state` entries.
 */
const COUNTED_TYPES = ['decision', 'lookup', 'question.asked'];

export type Report = Awaited<ReturnType<ReportService['report']>>;

export class ReportService {
  constructor(private readonly deps: ReportServiceDeps) {}

  /** The agreements whose report this person may read. */
  async readable(identity: Identity): Promise<Agreement[]> {
    const roles = await this.rolesOf(identity);
    return [...this.deps.bundle().agreements.values()].filter((a) => this.mayRead(identity, roles, a));
  }

  /** The report, or a 404 for an agreement the person may not read (or that does not exist). */
  async reportFor(identity: Identity, agreementId: string, periodText: string | undefined) {
    const agreement = this.deps.bundle().agreements.get(agreementId);
    if (!agreement || !this.mayRead(identity, await this.rolesOf(identity), agreement)) {
      throw problems.notFound('No such agreement.');
    }
    const period = periodText
      ? parsePeriod(periodText)
      : quarterOf(agreementToday(agreement, this.deps.clock()));
    if (!period) {
      throw problems.badRequest(
        'Name the period as a year (2026), a quarter (2026-Q4) or a month (2026-11).',
        {
          errors: [{ pointer: '/period', detail: 'not a year, quarter or month' }],
        },
      );
    }
    return this.report(agreement, period);
  }

  async report(agreement: Agreement, period: Period) {
    const now = this.deps.clock();
    const zone = agreement.timezone || 'UTC';
    const from = new Date(localDayAt(Date.parse(`${period.fromDay}T12:00:00Z`), zone).start).toISOString();
    const to = new Date(localDayAt(Date.parse(`${period.toDay}T12:00:00Z`), zone).end).toISOString();
    const inPeriod = (ts: string) => ts >= from && ts < to;
    const dayOf = (ts: string) => localDate(new Date(ts), zone);
    const today = agreementToday(agreement, now);
    const { store, partnership } = this.deps;

    const [counts, entries, states, loads, acceptances, outcomes] = await Promise.all([
      store.audit.statsCounts({
        scope: ALL_SCOPE,
        agreement: agreement.id,
        fromDay: period.fromDay,
        toDay: period.toDay,
      }),
      this.entries({
        agreement: agreement.id,
        types: COUNTED_TYPES,
        from,
        to,
      }),
      // Answers to the period's requests may come after it: read on to now.
      this.entries({ agreement: agreement.id, types: ['request.state'], from }),
      this.entries({ types: ['policy.load'], from, to }),
      partnership.acceptances(agreement.id),
      partnership.outcomes(agreement.id),
    ]);
    const screenings = await Promise.all(partiesOf(agreement).map((p) => partnership.screenings(p)));
    const facts = factsOf(
      screenings.flat().map((s) => s.record),
      acceptances.map((a) => a.record),
    );
    const days = daysOf(period);
    return {
      agreement: { id: agreement.id, title: agreement.title, version: agreement.version, timezone: zone },
      period: { ...period, from, to },
      generatedAt: now.toISOString(),
      activity: activityByMonth(period, counts, entries, (ts) => dayOf(ts).slice(0, 7)),
      responseTimes: {
        responseTimeHours: agreement.responseTimeHours ?? null,
        providers: responseTimes(agreement, states, inPeriod, now),
      },
      outcomes: goalsAchieved(
        agreement,
        period,
        outcomes.filter((o) => inPeriod(o.recordedAt)),
      ),
      screening: partiesOf(agreement).map((p, i) => screeningStatus(p, screenings[i], dayOf, days, today)),
      changes: {
        acceptances: acceptances
          .filter((a) => inPeriod(a.recordedAt))
          .map((a) => ({
            at: a.recordedAt,
            partnerId: a.record.partnerId,
            action: a.record.action,
            version: a.record.version,
            digest: a.record.digest,
          })),
        policyLoads: policyLoads(loads, agreement.id),
      },
      inForce: inForce(agreement, facts, now),
    };
  }

  private async entries(query: AuditQuery): Promise<AuditEntry[]> {
    const all: AuditEntry[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await this.deps.store.audit.query(query, { order: 'asc', limit: PAGE, after });
      all.push(...page);
      if (page.length < PAGE) return all;
      after = page[page.length - 1].seq;
    }
  }

  private async rolesOf(identity: Identity): Promise<string[]> {
    const entry = await this.deps.store.accreditations.get(identity.partnerId, identity.userId);
    // The home page asks too, past no guard: a suspended or expired accreditation reads nothing.
    if (!isActive(entry, identity, this.deps.clock())) return [];
    const enforcer = this.deps.bundle().enforcer;
    // Only the roles that may read reports for this partner count (the guard let one of them through).
    return entry.roles.filter((r) => allows(enforcer, r, identity.partnerId, REPORT_ACTION));
  }

  private mayRead(identity: Identity, roles: readonly string[], agreement: Agreement): boolean {
    const supervisor = this.deps.bundle().partners.get(identity.partnerId)?.supervisor === true;
    const party = partiesOf(agreement).includes(identity.partnerId);
    if (roles.includes('admin') && supervisor) return true;
    if (roles.includes('dpo') && (supervisor || party)) return true;
    return roles.length > 0 && party && isNamedContact(agreement, identity);
  }
}

/** The policy loads of the period, with this agreement's version in each, marked where it changed. */
function policyLoads(loads: readonly AuditEntry[], agreementId: string) {
  let previous: number | null | undefined;
  return loads.map((e) => {
    const listed = (e.data?.agreements ?? []) as { id: string; version: number }[];
    const version = listed.find((a) => a.id === agreementId)?.version ?? null;
    const changed = previous !== undefined && previous !== version;
    previous = version;
    return { at: e.ts, policyDigest: String(e.data?.policyDigest ?? ''), agreementVersion: version, changed };
  });
}
