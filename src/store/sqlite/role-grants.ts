/** Proposed grants of privileged roles (separation of duties) in SQLite. */
import type Database from 'better-sqlite3';
import type { Accreditation } from '../../records/accreditation';
import type { RoleGrantStore } from '../port';
import { proposalRow, roleGrantFromRow as fromRow, type RoleGrantRow } from '../rows/role-grant';
import type { AccreditationRows } from './accreditations';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';

export function createRoleGrants(
  db: Database.Database,
  accreditations: AccreditationRows,
  appendInTx: AppendInTx,
  unit: RunUnit,
): RoleGrantStore {
  const insert = db.prepare(
    `INSERT INTO role_grants (id, partner_id, user_id, role, state, proposed_by_partner, proposed_by_user,
       proposed_at)
     VALUES (@id, @partner_id, @user_id, @role, 'pending', @proposed_by_partner, @proposed_by_user, @proposed_at)
     ON CONFLICT DO NOTHING`,
  );
  const getStmt = db.prepare<[string], RoleGrantRow>('SELECT * FROM role_grants WHERE id = ?');
  const byState = db.prepare<[string], RoleGrantRow>(
    'SELECT * FROM role_grants WHERE state = ? ORDER BY proposed_at, id',
  );
  const all = db.prepare<[], RoleGrantRow>('SELECT * FROM role_grants ORDER BY proposed_at, id');
  // Compare-and-set: a grant is decided once.
  const decideStmt = db.prepare(
    `UPDATE role_grants SET state = @state, decided_by_partner = @partner, decided_by_user = @user,
       decided_at = @at, reason = @reason
     WHERE id = @id AND state = 'pending'`,
  );

  const get = (id: string) => {
    const row = getStmt.get(id);
    return row ? fromRow(row) : undefined;
  };

  return {
    propose(grant, events) {
      return unit(() => {
        const added = insert.run(proposalRow(grant)).changes === 1;
        if (added) appendInTx(events);
        return added;
      });
    },
    async get(id) {
      return get(id);
    },
    async list(state) {
      return (state === undefined ? all.all() : byState.all(state)).map(fromRow);
    },
    decide(id, decision, events, check) {
      return unit(() => {
        const pending = get(id);
        if (pending?.state !== 'pending') return undefined;
        check?.(pending, (person) => accreditations.get(person.partnerId, person.userId));
        const changed = decideStmt.run({
          id,
          state: decision.state,
          partner: decision.by.partnerId,
          user: decision.by.userId,
          at: decision.at,
          reason: decision.reason ?? null,
        }).changes;
        if (changed === 0) return undefined;
        const grant = get(id)!;
        let change: { before: Accreditation; after: Accreditation } | undefined;
        if (grant.state === 'approved') {
          // Read and written in the deciding transaction: no edit in between is lost.
          const before = accreditations.get(grant.subject.partnerId, grant.subject.userId);
          if (!before) throw new Error('a role grant names a person the registry does not know');
          if (!before.roles.includes(grant.role)) {
            change = { before, after: { ...before, roles: [...before.roles, grant.role] } };
            accreditations.put(change.after);
          }
        }
        appendInTx(events(grant, change));
        return grant;
      });
    },
  };
}
