/**
 * The accreditation registry (safe people) in PostgreSQL. Every write runs under the log's lock with
 * its entries (ctx.logged), so writes to the registry are serialised with each other and with the
 * decisions that read it (role-grants.ts).
 */
import type pg from 'pg';
import type { Accreditation, Person } from '../../records/accreditation';
import type { AccreditationStore } from '../port';
import { accreditationFromRow, accreditationToRow, type AccreditationRow } from '../rows/accreditation';
import type { PgContext } from './context';

/** The columns as the shared row has them (suspended as 0 or 1). */
const COLUMNS = `partner_id, user_id, display_name, roles, vetting_level, trained_on, expires_on,
  suspended::int AS suspended, teams`;

const GET = `SELECT ${COLUMNS} FROM accreditations WHERE partner_id = $1 AND user_id = $2`;

/** Inserts rows given as parallel arrays (one statement for any number of entries). */
const INSERT = `INSERT INTO accreditations
    (partner_id, user_id, display_name, roles, vetting_level, trained_on, expires_on, suspended, teams)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                       $8::boolean[], $9::text[])`;

const UPSERT = `${INSERT}
  ON CONFLICT (partner_id, user_id) DO UPDATE SET
    display_name = excluded.display_name, roles = excluded.roles, vetting_level = excluded.vetting_level,
    trained_on = excluded.trained_on, expires_on = excluded.expires_on, suspended = excluded.suspended,
    teams = excluded.teams`;

const INSERT_MISSING = `${INSERT} ON CONFLICT (partner_id, user_id) DO NOTHING RETURNING partner_id, user_id`;

/** The statements' parameters: one array per column. */
function columns(entries: readonly Accreditation[]): unknown[] {
  const rows = entries.map(accreditationToRow);
  return [
    rows.map((r) => r.partner_id),
    rows.map((r) => r.user_id),
    rows.map((r) => r.display_name),
    rows.map((r) => r.roles),
    rows.map((r) => r.vetting_level),
    rows.map((r) => r.trained_on),
    rows.map((r) => r.expires_on),
    rows.map((r) => r.suspended === 1),
    rows.map((r) => r.teams),
  ];
}

/** One person as one string (a map key). */
export const personKey = (person: Person): string => JSON.stringify([person.partnerId, person.userId]);

/** The registry's rows, read and written in the caller's transaction. */
export const accreditationRows = {
  async get(db: pg.PoolClient, partnerId: string, userId: string): Promise<Accreditation | undefined> {
    const { rows } = await db.query<AccreditationRow>(GET, [partnerId, userId]);
    return rows.length > 0 ? accreditationFromRow(rows[0]) : undefined;
  },
  /** Insert or replace one entry. */
  async put(db: pg.PoolClient, entry: Accreditation): Promise<void> {
    await db.query(UPSERT, columns([entry]));
  },
};

export function createPgAccreditations(ctx: PgContext): AccreditationStore {
  return {
    async get(partnerId, userId) {
      const { rows } = await ctx.query<AccreditationRow>(GET, [partnerId, userId]);
      return rows.length > 0 ? accreditationFromRow(rows[0]) : undefined;
    },
    async list(partnerId) {
      const { rows } =
        partnerId === undefined
          ? await ctx.query<AccreditationRow>(
              `SELECT ${COLUMNS} FROM accreditations ORDER BY partner_id, user_id`,
            )
          : await ctx.query<AccreditationRow>(
              `SELECT ${COLUMNS} FROM accreditations WHERE partner_id = $1 ORDER BY user_id`,
              [partnerId],
            );
      return rows.map(accreditationFromRow);
    },
    put(entry, events) {
      return ctx.logged(async (client, append) => {
        await accreditationRows.put(client, entry);
        await append(events);
      });
    },
    seed(entries, events) {
      return ctx.logged(async (client, append) => {
        if (entries.length === 0) return 0;
        const { rows } = await client.query<{ partner_id: string; user_id: string }>(
          INSERT_MISSING,
          columns(entries),
        );
        // What was inserted, in the order given; a person given twice counts once (the first).
        const inserted = new Set(rows.map((r) => personKey({ partnerId: r.partner_id, userId: r.user_id })));
        const added = entries.filter((e) => inserted.delete(personKey(e)));
        // Nothing added, nothing to log: re-seeding at every start-up leaves the log alone.
        if (added.length > 0) await append(events(added));
        return added.length;
      });
    },
  };
}
