/** Who may change whose accreditation, and how a change is logged. */
import type { AuditEventInput } from '../audit/types';
import { problems } from '../http/problem';
import type { Accreditation, Person } from '../records/accreditation';

export const samePerson = (a: Person, b: Person): boolean =>
  a.partnerId === b.partnerId && a.userId === b.userId;

/** The person as the log names them. */
export const personOf = (p: Person): Person => ({ partnerId: p.partnerId, userId: p.userId });

/** Nobody changes their own accreditation: not their roles, and (safer) nothing else either. */
export function refuseSelf(admin: Person, person: Person): void {
  if (samePerson(admin, person)) {
    throw problems.forbidden('Nobody changes their own accreditation; another admin must.');
  }
}

/** Names the changed keys and their new values; display names are personal data and stay out. */
export function changeEvent(
  admin: Person,
  before: Accreditation | undefined,
  after: Accreditation,
  action: string,
): AuditEventInput {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof Accreditation)[]) {
    if (JSON.stringify(before?.[key]) !== JSON.stringify(after[key]))
      changed[key] = key === 'displayName' ? '(changed)' : after[key];
  }
  return {
    type: 'accreditation.change',
    actor: personOf(admin),
    partners: [...new Set([admin.partnerId, after.partnerId])],
    outcome: action.split(':')[0],
    data: { subject: personOf(after), action, changed },
  };
}
