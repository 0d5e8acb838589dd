/** The accreditation registry (safe people): managed by admins, every change logged with what changed. */
import type { AuditEventInput } from '../audit/types';
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import type { Bundle } from '../policy/types';
import type { Accreditation } from '../records/accreditation';
import type { Store } from '../store/port';

export type AccreditationFields = Omit<Accreditation, 'userId'>;

export class AccreditationService {
  constructor(private readonly deps: { store: Store; bundle: () => Bundle }) {}

  list(): Promise<Accreditation[]> {
    return this.deps.store.accreditations.list();
  }

  async get(userId: string): Promise<Accreditation> {
    const entry = await this.deps.store.accreditations.get(userId);
    if (!entry) throw problems.notFound('No such user in the registry.');
    return entry;
  }

  /** Creates or replaces an entry. */
  async put(
    admin: Identity,
    userId: string,
    fields: AccreditationFields,
    action = 'update',
  ): Promise<Accreditation> {
    if (!this.deps.bundle().partners.has(fields.partnerId)) {
      throw problems.badRequest('Unknown partner.', {
        errors: [{ pointer: '/partnerId', detail: 'is not a partner of the bundle' }],
      });
    }
    if (!/^[A-Za-z0-9._@-]{1,128}$/.test(userId))
      throw problems.badRequest('A user id may hold letters, digits and . _ @ - only.');
    const before = await this.deps.store.accreditations.get(userId);
    const after: Accreditation = { userId, ...fields, teams: fields.teams ?? [] };
    await this.deps.store.accreditations.put(after, [
      changeEvent(admin, before, after, before ? action : 'create'),
    ]);
    return after;
  }

  async setSuspended(
    admin: Identity,
    userId: string,
    suspended: boolean,
    reason: string,
  ): Promise<Accreditation> {
    const { userId: _, ...fields } = await this.get(userId);
    return this.put(
      admin,
      userId,
      { ...fields, suspended },
      suspended ? `suspend: ${reason}` : `reinstate: ${reason}`,
    );
  }
}

/** Names the changed keys and their new values; display names are personal data and stay out. */
function changeEvent(
  admin: Identity,
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
    actor: { userId: admin.userId, partnerId: admin.partnerId },
    partners: [...new Set([admin.partnerId, after.partnerId, ...(before ? [before.partnerId] : [])])],
    outcome: action.split(':')[0],
    data: { subject: after.userId, action, changed },
  };
}
