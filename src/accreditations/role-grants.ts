/**
 * Separation of duties for privileged roles (dpo, admin, legal): one admin proposes a grant, a different
 * admin approves it. A pending grant changes nothing; the proposer cannot approve their own proposal;
 * nobody proposes or approves a grant to themselves. Each step is logged with the people involved as
 * (partner, user). Revoking a role needs no second person: it is an ordinary, immediate change.
 */
import crypto from 'node:crypto';
import type { AuditEventInput } from '../audit/types';
import type { Identity } from '../auth/identity';
import { isActive, rolesAllow } from '../http/guard';
import { problems } from '../http/problem';
import type { Accreditation, PrivilegedRole, Person, RoleGrant } from '../records/accreditation';
import type { AccreditationDeps, AccreditationService } from './service';
import { changeEvent, personOf, refuseSelf, samePerson } from './changes';

/** What an admin does that makes them one (policies/policy.csv). */
const MANAGE = 'accreditations:manage';

export class RoleGrantService {
  constructor(
    private readonly deps: AccreditationDeps,
    private readonly registry: AccreditationService,
  ) {}

  list(state?: RoleGrant['state']): Promise<RoleGrant[]> {
    return this.deps.store.roleGrants.list(state);
  }

  async propose(admin: Identity, subject: Person, role: PrivilegedRole): Promise<RoleGrant> {
    refuseSelf(admin, subject);
    const current = await this.registry.get(subject);
    if (current.roles.includes(role)) throw problems.conflict(`${subject.userId} already holds ${role}.`);
    this.refuseInactive(current);
    const grant: RoleGrant = {
      id: crypto.randomUUID(),
      subject: personOf(subject),
      role,
      state: 'pending',
      proposer: personOf(admin),
      proposedAt: this.deps.clock().toISOString(),
      decidedBy: null,
      decidedAt: null,
      reason: null,
    };
    const stored = await this.deps.store.roleGrants.propose(grant, [grantEvent(admin, grant, 'proposed')]);
    if (!stored) throw problems.conflict(`A grant of ${role} to ${subject.userId} is already pending.`);
    return grant;
  }

  async approve(admin: Identity, id: string): Promise<RoleGrant> {
    const grant = await this.pending(id);
    if (samePerson(admin, grant.proposer)) {
      throw problems.forbidden('The proposer of a grant cannot approve it; another admin must.');
    }
    if (samePerson(admin, grant.subject)) throw problems.forbidden('Nobody approves a grant to themselves.');
    this.refuseInactive(await this.registry.get(grant.subject)); // 404 for a person no longer in the registry
    return this.decide(
      id,
      { state: 'approved', by: personOf(admin), at: this.now() },
      (decided, change) => [
        grantEvent(admin, decided, 'approved', { approver: personOf(admin) }),
        ...(change ? [changeEvent(admin, change.before, change.after, `role-grant: ${decided.id}`)] : []),
      ],
      (pending, registry) => this.stillApprovable(pending, admin, registry),
    );
  }

  /**
   * Checked in the approving transaction, with the registry as it is there: the approver and the
   * proposer both still hold an active accreditation that may manage the registry (a proposer who lost
   * it, or an approver revoked meanwhile, is not one of two admins), and the subject is active.
   */
  private stillApprovable(
    grant: RoleGrant,
    approver: Person,
    registry: (person: Person) => Accreditation | undefined,
  ): void {
    const now = this.deps.clock();
    const manages = (person: Person) => {
      const entry = registry(person);
      return isActive(entry, person, now) && rolesAllow(entry, [MANAGE], this.deps.bundle().enforcer);
    };
    if (!manages(approver)) throw problems.forbidden('Your accreditation does not allow this action.');
    if (!manages(grant.proposer)) {
      throw problems.conflict(
        'The proposer of this grant no longer holds an active admin accreditation: it takes two admins, so reject it (and propose it again if it is still wanted).',
      );
    }
    const subject = registry(grant.subject);
    if (!subject) throw problems.notFound('No such user in the registry.');
    this.refuseInactive(subject);
  }

  /**
   * A privileged role goes to an active accreditation only: added to a suspended or expired one, it would
   * come back with one admin's reinstatement or renewal, the second admin's look long past.
   */
  private refuseInactive(subject: Accreditation): void {
    const who = `${subject.userId} (${subject.partnerId})`;
    if (!isActive(subject, subject, this.deps.clock())) {
      throw problems.conflict(
        `${who} is suspended or their accreditation has expired: reinstate or renew it first.`,
      );
    }
  }

  /** Any admin may reject a pending grant (its proposer too: rejecting takes nothing away). */
  async reject(admin: Identity, id: string, reason: string): Promise<RoleGrant> {
    await this.pending(id);
    return this.decide(id, { state: 'rejected', by: personOf(admin), at: this.now(), reason }, (decided) => [
      grantEvent(admin, decided, 'rejected', { rejecter: personOf(admin), reason }),
    ]);
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }

  private async pending(id: string): Promise<RoleGrant> {
    const grant = await this.deps.store.roleGrants.get(id);
    if (!grant) throw problems.notFound('No such role grant.');
    if (grant.state !== 'pending') throw problems.conflict(`This grant was ${grant.state} already.`);
    return grant;
  }

  private async decide(
    ...args: Parameters<AccreditationDeps['store']['roleGrants']['decide']>
  ): Promise<RoleGrant> {
    const decided = await this.deps.store.roleGrants.decide(...args);
    // Another admin decided it between our read and our write.
    if (!decided) throw problems.conflict('This grant was decided already.');
    return decided;
  }
}

function grantEvent(
  actor: Person,
  grant: RoleGrant,
  outcome: 'proposed' | 'approved' | 'rejected',
  extra: Record<string, unknown> = {},
): AuditEventInput {
  return {
    type: 'role-grant',
    actor: personOf(actor),
    partners: [...new Set([actor.partnerId, grant.subject.partnerId, grant.proposer.partnerId])],
    outcome,
    data: {
      grantId: grant.id,
      subject: grant.subject,
      role: grant.role,
      proposer: grant.proposer,
      ...extra,
    },
  };
}
