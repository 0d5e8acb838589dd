/**
 * The partnership's facts the project safe reads: each partner's newest screening and each agreement's
 * acceptances in effect. A snapshot, built from the ledger and kept until the next change.
 */
import type { Agreement, Bundle } from '../policy/types';
import { localDateOrUtc } from '../time/zones';
import { agreementDigest, confidentialityDigest } from './digest';
import type { Acceptance, Screening, ScreeningStanding } from './types';

export interface PartnershipFacts {
  /** Each partner's newest screening. */
  screenings: ReadonlyMap<string, Screening>;
  /** Per agreement, per party: the digest its acceptance in effect names (a withdrawal removes it). */
  accepted: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export function factsOf(
  screenings: Iterable<Screening>,
  acceptances: Iterable<Acceptance>,
): PartnershipFacts {
  const newest = new Map<string, Screening>();
  for (const s of screenings) newest.set(s.partnerId, s);
  const accepted = new Map<string, Map<string, string>>();
  for (const a of acceptances) {
    const parties = accepted.get(a.agreementId) ?? new Map<string, string>();
    if (a.action === 'accept') parties.set(a.partnerId, a.digest);
    // A withdrawal ends the acceptance of whatever version the party had accepted.
    else parties.delete(a.partnerId);
    accepted.set(a.agreementId, parties);
  }
  return { screenings: newest, accepted };
}

/** A partner's standing on `today` (an ISO date): cleared until the day after its next review date. */
export function screeningStanding(
  facts: PartnershipFacts,
  partnerId: string,
  today: string,
): ScreeningStanding {
  const screening = facts.screenings.get(partnerId);
  if (!screening) return { status: 'unscreened' };
  if (screening.outcome === 'refused') return { status: 'refused', screening };
  if (today > screening.nextReviewOn) return { status: 'lapsed', screening };
  return { status: 'cleared', screening };
}

/** The parties that have not accepted this exact version of the agreement. */
export function partiesNotAccepted(facts: PartnershipFacts, agreement: Agreement): string[] {
  const digest = agreementDigest(agreement);
  const accepted = facts.accepted.get(agreement.id);
  return partiesOf(agreement).filter((p) => accepted?.get(p) !== digest);
}

export function partiesOf(agreement: Agreement): string[] {
  return [...new Set([...agreement.parties.requesters, ...agreement.parties.providers])];
}

/** The day the partnership's dates are read in for this agreement (its own time zone). */
export function agreementToday(agreement: Agreement, now: Date): string {
  return localDateOrUtc(now, agreement.timezone);
}

/** Why an agreement is not in force on a day, each reason with what a reader needs to know. */
export type NotInForce =
  | { code: 'not-yet-valid'; from: string }
  | { code: 'expired'; until: string }
  | { code: 'revision-overdue'; reviseBy: string }
  | { code: 'awaiting-parties'; parties: string[] };

/**
 * Every reason the agreement is not in force now (none: it is): outside its validity, past its revision
 * date, or not accepted by every party in the version loaded. The acceptance page, the report and the
 * public page each say it in their own words; the project safe refuses on the same conditions.
 */
export function whyNotInForce(agreement: Agreement, facts: PartnershipFacts, now: Date): NotInForce[] {
  const today = agreementToday(agreement, now);
  const reasons: NotInForce[] = [];
  if (today < agreement.validity.from) reasons.push({ code: 'not-yet-valid', from: agreement.validity.from });
  if (today > agreement.validity.until) reasons.push({ code: 'expired', until: agreement.validity.until });
  if (revisionOverdue(agreement, now))
    reasons.push({ code: 'revision-overdue', reviseBy: agreement.reviseBy });
  const awaiting = partiesNotAccepted(facts, agreement);
  if (awaiting.length) reasons.push({ code: 'awaiting-parties', parties: awaiting });
  return reasons;
}

/** Whether the agreement is past the date by which it had to be revised. */
export function revisionOverdue(agreement: Agreement, now: Date): boolean {
  return agreementToday(agreement, now) > agreement.reviseBy;
}

/**
 * Facts in which every partner is cleared and every party accepted every agreement of the bundle: what
 * `fsg policy explain` assumes offline (it reads no store), and the baseline of the safes' tests.
 */
export function inGoodStanding(bundle: Bundle, alsoScreened: readonly string[] = []): PartnershipFacts {
  const screenings = [...new Set([...bundle.partners.keys(), ...alsoScreened])].map(
    (partnerId): Screening => ({
      partnerId,
      reviewedOn: '2000-01-01',
      reviewer: { partnerId: 'gateway', userId: 'system' },
      outcome: 'cleared',
      conditions: [],
      riskNotes: '',
      contact: { name: partnerId, email: `${partnerId}@invalid` },
      nextReviewOn: '9999-12-31',
    }),
  );
  const acceptances = [...bundle.agreements.values()].flatMap((agreement) => acceptedByAll(agreement));
  return factsOf(screenings, acceptances);
}

/** Every party's acceptance of the agreement as loaded, made by the system (the demo's seed, explain). */
export function acceptedByAll(agreement: Agreement): Acceptance[] {
  return partiesOf(agreement).map((partnerId) => ({
    agreementId: agreement.id,
    partnerId,
    action: 'accept',
    version: agreement.version,
    digest: agreementDigest(agreement),
    confidentialityDigest: confidentialityDigest(agreement),
    by: { partnerId: 'gateway', userId: 'system' },
    role: 'system',
  }));
}

/** The agreement's providers not cleared today, each with the project safe's reason code. */
export function providersNotCleared(
  agreement: Agreement,
  facts: PartnershipFacts,
  now: Date,
): { providerId: string; code: 'PROJECT_PARTNER_NOT_CLEARED' | 'PROJECT_PARTNER_SCREENING_LAPSED' }[] {
  const today = agreementToday(agreement, now);
  return agreement.parties.providers.flatMap((providerId) => {
    const { status } = screeningStanding(facts, providerId, today);
    if (status === 'cleared') return [];
    const code = status === 'lapsed' ? 'PROJECT_PARTNER_SCREENING_LAPSED' : 'PROJECT_PARTNER_NOT_CLEARED';
    return [{ providerId, code } as const];
  });
}
