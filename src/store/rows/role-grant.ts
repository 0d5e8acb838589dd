/** A role grant as a row of `role_grants`, the same columns in every engine. */
import type { RoleGrant } from '../../records/accreditation';

export interface RoleGrantRow {
  id: string;
  partner_id: string;
  user_id: string;
  role: RoleGrant['role'];
  state: RoleGrant['state'];
  proposed_by_partner: string;
  proposed_by_user: string;
  proposed_at: string;
  decided_by_partner: string | null;
  decided_by_user: string | null;
  decided_at: string | null;
  reason: string | null;
}

export function roleGrantFromRow(row: RoleGrantRow): RoleGrant {
  return {
    id: row.id,
    subject: { partnerId: row.partner_id, userId: row.user_id },
    role: row.role,
    state: row.state,
    proposer: { partnerId: row.proposed_by_partner, userId: row.proposed_by_user },
    proposedAt: row.proposed_at,
    decidedBy:
      row.decided_by_partner === null || row.decided_by_user === null
        ? null
        : { partnerId: row.decided_by_partner, userId: row.decided_by_user },
    decidedAt: row.decided_at,
    reason: row.reason,
  };
}

/** The columns a proposal sets (its state is pending, nothing is decided yet). */
export function proposalRow(grant: RoleGrant) {
  return {
    id: grant.id,
    partner_id: grant.subject.partnerId,
    user_id: grant.subject.userId,
    role: grant.role,
    proposed_by_partner: grant.proposer.partnerId,
    proposed_by_user: grant.proposer.userId,
    proposed_at: grant.proposedAt,
  };
}
