/**
 * Safe project: is this use appropriate? Everything comes from the data-sharing agreement: parties,
 * validity, purpose, dataset, the agreed case-reference form and the daily quota.
 */
import type { Agreement, Bundle } from '../policy/types';
import {
  agreementToday,
  partiesNotAccepted,
  revisionOverdue,
  screeningStanding,
} from '../partnership/standing';
import type { ScreeningStanding } from '../partnership/types';
import type { Identity } from '../auth/identity';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';
import { findDataset, lookupDatasets } from './data';
import { dayNumber } from './setting';
import { localDateOrUtc } from '../time/zones';

/** Case references are short; the cap also keeps a policy pattern from backtracking for long. */
const MAX_CASE_REF_LENGTH = 128;

export function checkProject(
  input: RequestInput,
  identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  if (!agreement) return { outcome: 'fail', reasons: [reason('PROJECT_AGREEMENT_UNKNOWN')] };
  const rules = agreement.safes.project;
  const reasons: Reason[] = [];

  // Validity dates are inclusive and read in the agreement's own time zone.
  const today = dayNumber(localDateOrUtc(ctx.now, agreement.timezone));
  const from = dayNumber(agreement.validity.from);
  const until = dayNumber(agreement.validity.until);
  if (today === undefined || from === undefined || until === undefined || today < from || today > until) {
    reasons.push(
      reason('PROJECT_AGREEMENT_NOT_IN_FORCE', `${agreement.validity.from} to ${agreement.validity.until}`),
    );
  }

  if (!agreement.parties.requesters.includes(identity.partnerId))
    reasons.push(reason('PROJECT_REQUESTER_NOT_PARTY'));
  if (!agreement.purposes.includes(input.purpose)) reasons.push(reason('PROJECT_PURPOSE_OUT_OF_SCOPE'));

  // A lookup asks every provider that shares a dataset for lookups; a detail request names one.
  if (input.kind === 'lookup') {
    if (!lookupDatasets(agreement).length) reasons.push(reason('PROJECT_NO_LOOKUP_DATASET'));
  } else {
    if (!agreement.parties.providers.includes(input.providerId))
      reasons.push(reason('PROJECT_PROVIDER_NOT_PARTY'));
    if (!findDataset(agreement, input)) reasons.push(reason('PROJECT_DATASET_OUT_OF_SCOPE'));
  }

  // Own keys only: a partner id such as "constructor" must not find an inherited property.
  const pattern = Object.hasOwn(rules.caseRefPatterns, identity.partnerId)
    ? rules.caseRefPatterns[identity.partnerId]
    : undefined;
  if (!caseRefMatches(input.caseRef, pattern)) {
    reasons.push(reason('PROJECT_CASE_REF_INVALID'));
  }

  if (!(ctx.requestsToday < rules.dailyQuotaPerUser)) {
    reasons.push(reason('PROJECT_QUOTA_EXCEEDED', `${rules.dailyQuotaPerUser} per day`));
  }

  reasons.push(...partnershipReasons(input, identity.partnerId, ctx, agreement));
  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

/**
 * The partnership's own conditions: every party accepted this exact version, it is not past its
 * revision date, and the partners in the exchange are cleared by a screening that has not lapsed. A
 * lookup's providers are not named here: a provider not cleared is left out of the search instead.
 * Asked again when an answer is released (RequestService.approve): the partnership may have changed.
 */
export function partnershipReasons(
  input: RequestInput,
  requesterPartner: string,
  ctx: Pick<DecisionContext, 'now' | 'partnership'>,
  agreement: Agreement,
): Reason[] {
  const reasons: Reason[] = [];
  const missing = partiesNotAccepted(ctx.partnership, agreement);
  if (missing.length)
    reasons.push(reason('PROJECT_AGREEMENT_NOT_ACCEPTED', `awaiting ${missing.join(', ')}`));
  if (revisionOverdue(agreement, ctx.now)) {
    reasons.push(reason('PROJECT_AGREEMENT_REVISION_OVERDUE', `to be revised by ${agreement.reviseBy}`));
  }
  const today = agreementToday(agreement, ctx.now);
  const partners = [requesterPartner];
  if (input.kind !== 'lookup' && agreement.parties.providers.includes(input.providerId)) {
    partners.push(input.providerId);
  }
  for (const partnerId of partners) {
    const found = screeningReason(partnerId, screeningStanding(ctx.partnership, partnerId, today));
    if (found) reasons.push(found);
  }
  return reasons;
}

/** Compiled case-reference patterns (they come from the bundle: few); null for one that does not compile. */
const patterns = new Map<string, RegExp | null>();
const MAX_PATTERNS = 10_000;

/** The whole reference must match; no pattern for the partner, or a broken one, matches nothing. */
function caseRefMatches(caseRef: string, pattern: string | undefined): boolean {
  if (pattern === undefined || typeof caseRef !== 'string' || caseRef.length > MAX_CASE_REF_LENGTH)
    return false;
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(`^(?:${pattern})$`);
    } catch {
      compiled = null;
    }
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    patterns.set(pattern, compiled);
  }
  return compiled !== null && compiled.test(caseRef);
}

/** Why a partner's standing keeps it out of an exchange; undefined when it is cleared. */
export function screeningReason(partnerId: string, standing: ScreeningStanding): Reason | undefined {
  if (standing.status === 'cleared') return undefined;
  if (standing.status === 'lapsed') {
    return reason(
      'PROJECT_PARTNER_SCREENING_LAPSED',
      `${partnerId}: review due ${standing.screening.nextReviewOn}`,
    );
  }
  return reason('PROJECT_PARTNER_NOT_CLEARED', `${partnerId}: ${standing.status}`);
}
