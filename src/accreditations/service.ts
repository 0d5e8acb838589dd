/**
 * The accreditation registry (safe people): managed by admins, every change logged with what changed.
 * A person is (partner, user). Separation of duties: nobody changes their own accreditation, and a
 * privileged role (dpo, admin, legal) is granted only through a proposal another admin approves (grants).
 */
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import type { Bundle } from '../policy/types';
import { isPrivileged, USER_ID, type Accreditation, type Person } from '../records/accreditation';
import type { Store } from '../store/port';
import { changeEvent, personOf, refuseSelf } from './changes';
import { RoleGrantService } from './role-grants';

export type AccreditationFields = Omit<Accreditation, 'userId' | 'partnerId'>;

export interface AccreditationDeps {
  store: Store;
  bundle: () => Bundle;
  clock: () => Date;
}

export class AccreditationService {
  readonly grants: RoleGrantService;

  constructor(private readonly deps: AccreditationDeps) {
    this.grants = new RoleGrantService(deps, this);
  }

  list(): Promise<Accreditation[]> {
    return this.deps.store.accreditations.list();
  }

  async get(person: Person): Promise<Accreditation> {
    const entry = await this.deps.store.accreditations.get(person.partnerId, person.userId);
    if (!entry) throw problems.notFound('No such user in the registry.');
    return entry;
  }

  /**
   * Creates or replaces an entry. Roles are taken away at once; a privileged role is never added here
   * (propose it: another admin approves).
   */
  async put(
    admin: Identity,
    person: Person,
    fields: AccreditationFields,
    action = 'update',
  ): Promise<Accreditation> {
    if (!this.deps.bundle().partners.has(person.partnerId)) throw problems.notFound('No such partner.');
    if (!USER_ID.test(person.userId))
      throw problems.badRequest('A user id may hold letters, digits and . _ @ - only.');
    refuseSelf(admin, person);
    const before = await this.deps.store.accreditations.get(person.partnerId, person.userId);
    const added = fields.roles.filter((role) => isPrivileged(role) && !before?.roles.includes(role));
    if (added.length) {
      throw problems.forbidden(
        `Granting ${added.join(' and ')} takes two admins: propose it (role grants) and another admin approves.`,
        { errors: [{ pointer: '/roles', detail: `${added.join(', ')} is granted through a role grant` }] },
      );
    }
    const after: Accreditation = { ...personOf(person), ...fields, teams: fields.teams ?? [] };
    await this.deps.store.accreditations.put(after, [
      changeEvent(admin, before, after, before ? action : 'create'),
    ]);
    return after;
  }

  async setSuspended(
    admin: Identity,
    person: Person,
    suspended: boolean,
    reason: string,
  ): Promise<Accreditation> {
    const { userId: _, partnerId: __, ...fields } = await this.get(person);
    return this.put(
      admin,
      person,
      { ...fields, suspended },
      suspended ? `suspend: ${reason}` : `reinstate: ${reason}`,
    );
  }
}
