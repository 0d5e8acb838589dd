/**
 * A read of released data (a disclosure): the people and setting safes again, for the reader, under the
 * request's agreement, with the functions decide() uses, and of the project safe the partnership's
 * screening of the reader's partner (a partner no longer cleared takes part in no exchange, reads
 * included). Data and output judged the request when it was made and the answer before it was
 * released; who reads, from where, and for which partner, is judged now.
 */
import type { Identity } from '../auth/identity';
import type { Bundle } from '../policy/types';
import { checkPeople } from './people';
import { checkSetting } from './setting';
import type { DecisionContext, RequestInput, SafeResult } from './types';
import { agreementToday, screeningStanding } from '../partnership/standing';
import { screeningReason } from './project';

export interface ReadDecision {
  outcome: 'permit' | 'deny';
  safes: { people: SafeResult; project: SafeResult; setting: SafeResult };
}

/** The casbin action a reader of a disclosure needs (with a role the agreement names). */
export const READ_ACTION = 'disclosures:read';

export function decideRead(
  input: RequestInput,
  identity: Identity,
  ctx: Omit<DecisionContext, 'requestsToday'>,
  bundle: Bundle,
): ReadDecision {
  const context = { ...ctx, requestsToday: 0 };
  const safes = {
    people: checkPeople(input, identity, context, bundle, READ_ACTION),
    project: checkReaderStanding(input, identity, context, bundle),
    setting: checkSetting(input, identity, context, bundle),
  };
  const pass = Object.values(safes).every((safe) => safe.outcome === 'pass');
  return { outcome: pass ? 'permit' : 'deny', safes };
}

/** The reader's partner is cleared today by a screening that has not lapsed. */
function checkReaderStanding(
  input: RequestInput,
  identity: Identity,
  ctx: DecisionContext,
  bundle: Bundle,
): SafeResult {
  const agreement = bundle.agreements.get(input.agreementId);
  const today = agreement ? agreementToday(agreement, ctx.now) : ctx.now.toISOString().slice(0, 10);
  const found = screeningReason(
    identity.partnerId,
    screeningStanding(ctx.partnership, identity.partnerId, today),
  );
  if (!found) return { outcome: 'pass', reasons: [] };
  return { outcome: 'fail', reasons: [found] };
}
