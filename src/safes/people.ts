/**
 * Safe people: is this user authorised and trusted? Checked against the gateway's own accreditation
 * registry (never the token's claims) and the casbin policy for the user's partner.
 */
import { allows } from '../policy/enforce';
import type { Bundle, Role } from '../policy/types';
import type { Identity } from '../auth/identity';
import type { DecisionContext, Reason, RequestInput, SafeResult } from './types';
import { reason } from './reasons';
import { dayNumber } from './setting';
import { localDateOrUtc } from '../time/zones';

/** The casbin action each kind of request needs (what decide() checks). */
export const ACTIONS = {
  detail: 'requests:create',
  lookup: 'lookups:create',
  aggregate: 'requests:create',
} as const;

/**
 * `action`: the casbin action the user takes under the agreement; by default the one the kind of
 * request needs (a reader of a disclosure is checked for `disclosures:read`).
 */
export function checkPeople(
  input: RequestInput,
  identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
  action: string = ACTIONS[input.kind ?? 'detail'],
): SafeResult {
  const acc = ctx.accreditation;
  // Nothing else can be judged about someone the registry does not know.
  if (!acc || acc.userId !== identity.userId) {
    return { outcome: 'fail', reasons: [reason('PEOPLE_UNKNOWN_USER')] };
  }
  // A person is (partner, user): another partner's entry is someone else's, and nothing of it is told.
  if (acc.partnerId !== identity.partnerId) {
    return { outcome: 'fail', reasons: [reason('PEOPLE_PARTNER_MISMATCH')] };
  }
  const agreement = bundle.agreements.get(input.agreementId);
  const rules = agreement?.safes.people;
  const reasons: Reason[] = [];

  // Without an agreement only casbin can vouch for a role; with one, the agreement must name it too.
  const permitted = acc.roles.some(
    (role) => (!rules || rules.roles.includes(role)) && enforces(bundle, role, identity.partnerId, action),
  );
  if (!permitted) reasons.push(reason('PEOPLE_ROLE_NOT_PERMITTED'));

  const today = dayNumber(localDateOrUtc(ctx.now, agreement?.timezone));
  if (rules) {
    if (!(acc.vettingLevel >= rules.minVettingLevel)) {
      reasons.push(reason('PEOPLE_VETTING_INSUFFICIENT', `minimum level ${rules.minVettingLevel}`));
    }
    const trained = dayNumber(acc.trainedOn);
    if (trained === undefined || today === undefined || !(today - trained <= rules.trainingMaxAgeDays)) {
      reasons.push(reason('PEOPLE_TRAINING_OUTDATED', `at most ${rules.trainingMaxAgeDays} days old`));
    }
  }

  // The accreditation holds through its expiry date; a malformed date fails closed.
  const expires = dayNumber(acc.expiresOn);
  if (expires === undefined || today === undefined || today > expires) {
    reasons.push(reason('PEOPLE_ACCREDITATION_EXPIRED'));
  }

  if (acc.suspended) reasons.push(reason('PEOPLE_SUSPENDED'));

  return { outcome: reasons.length ? 'fail' : 'pass', reasons };
}

function enforces(bundle: Bundle, role: Role, partnerId: string, action: string): boolean {
  try {
    return allows(bundle.enforcer, role, partnerId, action);
  } catch {
    return false; // a broken policy denies
  }
}
