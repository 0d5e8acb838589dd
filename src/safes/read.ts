/**
 * A read of released data (a disclosure): the people and setting safes again, for the reader, under the
 * request's agreement, with the functions decide() uses. Project, data and output judged the request
 * when it was made and the answer before it was released; who reads, and from where, is judged now.
 */
import type { Identity } from '../auth/identity';
import type { Bundle } from '../policy/types';
import { checkPeople } from './people';
import { checkSetting } from './setting';
import type { DecisionContext, RequestInput, SafeResult } from './types';
import { factsOf } from '../partnership/standing';

const NO_FACTS = factsOf([], []);

export interface ReadDecision {
  outcome: 'permit' | 'deny';
  safes: { people: SafeResult; setting: SafeResult };
}

/** The casbin action a reader of a disclosure needs (with a role the agreement names). */
export const READ_ACTION = 'disclosures:read';

export function decideRead(
  input: RequestInput,
  identity: Identity,
  ctx: Omit<DecisionContext, 'requestsToday' | 'partnership'>,
  bundle: Bundle,
): ReadDecision {
  // Neither safe reads the quota or the partnership's facts.
  const context = { ...ctx, requestsToday: 0, partnership: NO_FACTS };
  const safes = {
    people: checkPeople(input, identity, context, bundle, READ_ACTION),
    setting: checkSetting(input, identity, context, bundle),
  };
  const pass = safes.people.outcome === 'pass' && safes.setting.outcome === 'pass';
  return { outcome: pass ? 'permit' : 'deny', safes };
}
