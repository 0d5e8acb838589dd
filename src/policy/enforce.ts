/**
 * casbin's answer for (role, partner, action), remembered per loaded enforcer. A bundle never changes
 * once loaded (a policy change is a new bundle, with a new enforcer), and the matcher of
 * policies/model.conf is a pure function of the request and the policy lines, so the first answer is
 * the answer. casbin walks every policy line on each call (its cost grows with the policy); this makes
 * the cost of a repeated question constant. The set of questions is small (roles × partners ×
 * actions); the cap only guards against a misuse with unbounded values.
 */
import type { Enforcer } from 'casbin';

const MAX_ANSWERS = 100_000;
const answers = new WeakMap<Enforcer, Map<string, boolean>>();

/** enforcer.enforceSync(role, partnerId, action) === true, asked once per enforcer and question. */
export function allows(enforcer: Enforcer, role: string, partnerId: string, action: string): boolean {
  let known = answers.get(enforcer);
  if (!known) {
    known = new Map();
    answers.set(enforcer, known);
  }
  const key = `${role}\u0000${partnerId}\u0000${action}`;
  let answer = known.get(key);
  if (answer === undefined) {
    answer = enforcer.enforceSync(role, partnerId, action) === true;
    if (known.size >= MAX_ANSWERS) known.clear();
    known.set(key, answer);
  }
  return answer;
}
