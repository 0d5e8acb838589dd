/**
 * The public transparency report: every agreement of the bundle, those in force with their terms and
 * their activity per quarter (counts through disclosure control), the others with the public reason
 * only. Computed at most once a minute (a public page must be cheap), and again at once when an
 * agreement's standing changes (an acceptance withdrawn, a revision date passed).
 */
import { ALL_SCOPE } from '../audit/stats';
import type { PartnershipRegistry } from '../partnership/registry';
import { agreementToday, whyNotInForce, type PartnershipFacts } from '../partnership/standing';
import type { Agreement, Bundle } from '../policy/types';
import type { Store } from '../store/port';
import { publicCount, publicRules, type PublicCount } from './public-counts';
import { closedQuarters } from './quarters';
import { publicTerms, type PublicTerms } from './terms';

export type NotInForceReason = 'awaiting-acceptance' | 'revision-overdue' | 'not-yet-valid' | 'expired';

export interface QuarterActivity {
  quarter: string;
  from: string;
  to: string;
  requests: PublicCount;
  lookups: PublicCount;
  disclosures: PublicCount;
  denials: PublicCount;
}

export interface InForce extends PublicTerms {
  id: string;
  title: string;
  version: number;
  status: 'in-force';
  validity: { from: string; until: string };
  reviseBy: string;
  timezone: string;
  activity: QuarterActivity[];
}

export interface NotInForce {
  id: string;
  title: string;
  version: number;
  status: 'not-in-force';
  reasons: { code: NotInForceReason; text: string }[];
}

export interface TransparencyReport {
  generatedAt: string;
  inForce: InForce[];
  notInForce: NotInForce[];
}

export interface TransparencyDeps {
  bundle: () => Bundle;
  store: Store;
  partnership: PartnershipRegistry;
  clock: () => Date;
}

/** How long a computed report stands while no agreement's standing changes. */
export const REPORT_MAX_AGE_MS = 60_000;
export const ACTIVITY_QUARTERS = 4;

/** Why an agreement is not in force today, in words the public reads; empty when it is. */
export function notInForceReasons(
  agreement: Agreement,
  facts: PartnershipFacts,
  now: Date,
): NotInForce['reasons'] {
  return whyNotInForce(agreement, facts, now).map((r) => {
    switch (r.code) {
      case 'not-yet-valid':
        return { code: r.code, text: `not yet valid (from ${r.from})` };
      case 'expired':
        return { code: r.code, text: `expired (valid until ${r.until})` };
      case 'revision-overdue':
        return { code: r.code, text: `past its revision date ${r.reviseBy}` };
      case 'awaiting-parties':
        // The public learns that a party has not accepted, not which.
        return { code: 'awaiting-acceptance', text: 'awaiting acceptance' };
    }
  });
}

export class TransparencyService {
  private cached: { report: TransparencyReport; at: number; standing: string; bundle: Bundle } | undefined;
  private computing: { standing: string; report: Promise<TransparencyReport> } | undefined;

  constructor(private readonly deps: TransparencyDeps) {}

  async report(): Promise<TransparencyReport> {
    const now = this.deps.clock();
    const bundle = this.deps.bundle();
    const facts = await this.deps.partnership.facts();
    const standing = JSON.stringify(
      [...bundle.agreements.values()].map((a) => [a.id, notInForceReasons(a, facts, now)]),
    );
    const c = this.cached;
    const age = now.getTime() - (c?.at ?? 0);
    if (c && c.bundle === bundle && c.standing === standing && age >= 0 && age < REPORT_MAX_AGE_MS)
      return c.report;
    // Callers arriving while it is computed share the computation, unless the standing changed since.
    if (this.computing?.standing === standing) return this.computing.report;
    const computing = {
      standing,
      report: this.compute(bundle, facts, now)
        .then((report) => {
          this.cached = { report, at: now.getTime(), standing, bundle };
          return report;
        })
        .finally(() => {
          if (this.computing === computing) this.computing = undefined;
        }),
    };
    this.computing = computing;
    return computing.report;
  }

  private async compute(bundle: Bundle, facts: PartnershipFacts, now: Date): Promise<TransparencyReport> {
    const inForce: InForce[] = [];
    const notInForce: NotInForce[] = [];
    const agreements = [...bundle.agreements.values()].sort((a, b) => a.id.localeCompare(b.id));
    for (const agreement of agreements) {
      const { id, title, version } = agreement;
      const reasons = notInForceReasons(agreement, facts, now);
      if (reasons.length) {
        notInForce.push({ id, title, version, status: 'not-in-force', reasons });
        continue;
      }
      const rules = publicRules(agreement.safes.output.aggregates?.sdc);
      inForce.push({
        id,
        title,
        version,
        status: 'in-force',
        validity: agreement.validity,
        reviseBy: agreement.reviseBy,
        timezone: agreement.timezone,
        ...publicTerms(bundle, agreement, rules),
        activity: await this.activity(agreement, now, rules),
      });
    }
    return { generatedAt: now.toISOString(), inForce, notInForce };
  }

  /** The last quarters' counts from the log's statistics (kept per day in the agreement's zone). */
  private async activity(
    agreement: Agreement,
    now: Date,
    rules: ReturnType<typeof publicRules>,
  ): Promise<QuarterActivity[]> {
    const today = agreementToday(agreement, now);
    const quarters = closedQuarters(today, ACTIVITY_QUARTERS);
    const counts = await this.deps.store.audit.statsCounts({
      scope: ALL_SCOPE,
      agreement: agreement.id,
      fromDay: quarters[0].from,
      toDay: quarters[quarters.length - 1].to,
    });
    const totals = quarters.map(() => ({ requests: 0, lookups: 0, disclosures: 0, denials: 0 }));
    for (const { day, measure, n } of counts) {
      const i = quarters.findIndex((q) => q.from <= day && day <= q.to);
      if (i < 0 || !Object.hasOwn(totals[i], measure)) continue;
      totals[i][measure as keyof (typeof totals)[number]] += n;
    }
    return quarters.map((q, i) => ({
      quarter: q.label,
      from: q.from,
      to: q.to,
      requests: publicCount(totals[i].requests, rules),
      lookups: publicCount(totals[i].lookups, rules),
      disclosures: publicCount(totals[i].disclosures, rules),
      denials: publicCount(totals[i].denials, rules),
    }));
  }
}
