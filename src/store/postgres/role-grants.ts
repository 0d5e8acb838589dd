/**
 * Proposed grants of privileged roles (separation of duties) in PostgreSQL. Proposals and decisions
 * are logged writes: they run under the log's lock, as does every write to the registry, so what a
 * decision reads of the registry stays as read until it commits.
 */
import type pg from 'pg';
import type { Accreditation, Person, RoleGrant } from '../../records/accreditation';
import type { RoleGrantStore } from '../port';
import { proposalRow, roleGrantFromRow, type RoleGrantRow } from '../rows/role-grant';
import { accreditationRows, personKey } from './accreditations';
import type { PgContext } from './context';

const PROPOSE = `INSERT INTO role_grants (id, partner_id, user_id, role, state, proposed_by_partner,
    proposed_by_user, proposed_at)
  VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)
  ON CONFLICT DO NOTHING`;

// Compare-and-set: a grant is decided once.
const DECIDE = `UPDATE role_grants SET state = $2, decided_by_partner = $3, decided_by_user = $4,
    decided_at = $5, reason = $6
  WHERE id = $1 AND state = 'pending'
  RETURNING *`;

/** How many rounds a check may ask for people it had not asked for before (see `checkedRegistry`). */
const CHECK_ROUNDS = 8;

/**
 * Runs `check` against the registry as this transaction sees it. `check` looks people up
 * synchronously, so the people it may ask for are read first (the decider, the proposer, the
 * subject); should it ask for anyone else, that round does not count: the people it asked for are
 * read too and it runs again, until it asks for no one unread. Its answer, or its refusal, is that
 * of the last round.
 */
async function checkedRegistry(
  client: pg.PoolClient,
  grant: RoleGrant,
  by: Person,
  check: (grant: RoleGrant, registry: (person: Person) => Accreditation | undefined) => void,
): Promise<void> {
  const read = new Map<string, Accreditation | undefined>();
  let wanted: Person[] = [by, grant.proposer, grant.subject];
  for (let round = 0; round < CHECK_ROUNDS; round++) {
    for (const person of wanted) {
      if (!read.has(personKey(person))) {
        read.set(personKey(person), await accreditationRows.get(client, person.partnerId, person.userId));
      }
    }
    const unread: Person[] = [];
    const registry = (person: Person) => {
      if (!read.has(personKey(person))) unread.push(person);
      return read.get(personKey(person));
    };
    try {
      check(grant, registry);
    } catch (err) {
      if (unread.length === 0) throw err;
    }
    if (unread.length === 0) return;
    wanted = unread;
  }
  throw new Error(`a role grant's check kept asking for more people after ${CHECK_ROUNDS} rounds`);
}

export function createPgRoleGrants(ctx: PgContext): RoleGrantStore {
  return {
    propose(grant, events) {
      return ctx.logged(async (client, append) => {
        const p = proposalRow(grant);
        const { rowCount } = await client.query(PROPOSE, [
          p.id,
          p.partner_id,
          p.user_id,
          p.role,
          p.proposed_by_partner,
          p.proposed_by_user,
          p.proposed_at,
        ]);
        // Refused (a grant of that id, or one pending for that person and role): nothing logged.
        if (rowCount !== 1) return false;
        await append(events);
        return true;
      });
    },
    async get(id) {
      const { rows } = await ctx.query<RoleGrantRow>('SELECT * FROM role_grants WHERE id = $1', [id]);
      return rows.length > 0 ? roleGrantFromRow(rows[0]) : undefined;
    },
    async list(state) {
      const { rows } =
        state === undefined
          ? await ctx.query<RoleGrantRow>('SELECT * FROM role_grants ORDER BY proposed_at, id')
          : await ctx.query<RoleGrantRow>(
              'SELECT * FROM role_grants WHERE state = $1 ORDER BY proposed_at, id',
              [state],
            );
      return rows.map(roleGrantFromRow);
    },
    decide(id, decision, events, check) {
      return ctx.logged(async (client, append) => {
        const { rows: found } = await client.query<RoleGrantRow>(
          'SELECT * FROM role_grants WHERE id = $1 FOR UPDATE',
          [id],
        );
        const pending = found.length > 0 ? roleGrantFromRow(found[0]) : undefined;
        if (pending?.state !== 'pending') return undefined;
        if (check) await checkedRegistry(client, pending, decision.by, check);
        const { rows: decided } = await client.query<RoleGrantRow>(DECIDE, [
          id,
          decision.state,
          decision.by.partnerId,
          decision.by.userId,
          decision.at,
          decision.reason ?? null,
        ]);
        if (decided.length === 0) return undefined;
        const grant = roleGrantFromRow(decided[0]);
        let change: { before: Accreditation; after: Accreditation } | undefined;
        if (grant.state === 'approved') {
          // Read and written in the deciding transaction: no edit in between is lost.
          const before = await accreditationRows.get(client, grant.subject.partnerId, grant.subject.userId);
          if (!before) throw new Error('a role grant names a person the registry does not know');
          if (!before.roles.includes(grant.role)) {
            change = { before, after: { ...before, roles: [...before.roles, grant.role] } };
            await accreditationRows.put(client, change.after);
          }
        }
        await append(events(grant, change));
        return grant;
      });
    },
  };
}
