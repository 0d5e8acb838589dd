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
/** enforcer → role → partner → action → answer (nested maps: no key string built per question). */
const answers = new WeakMap<
  Enforcer,
  { size: number; byRole: Map<string, Map<string, Map<string, boolean>>> }
>();

/** enforcer.enforceSync(role, partnerId, action) === true, asked once per enforcer and question. */
export function allows(enforcer: Enforcer, role: string, partnerId: string, action: string): boolean {
  let known = answers.get(enforcer);
  if (!known) {
    known = { size: 0, byRole: new Map() };
    answers.set(enforcer, known);
  }
  let byPartner = known.byRole.get(role);
  if (!byPartner) {
    byPartner = new Map();
    known.byRole.set(role, byPartner);
  }
  let byAction = byPartner.get(partnerId);
  if (!byAction) {
    byAction = new Map();
    byPartner.set(partnerId, byAction);
  }
  let answer = byAction.get(action);
  if (answer === undefined) {
    answer = enforcer.enforceSync(role, partnerId, action) === true;
    if (known.size >= MAX_ANSWERS) {
      known.byRole.clear();
      known.size = 0;
    }
    byAction.set(action, answer);
    known.size++;
  }
  return answer;
}
