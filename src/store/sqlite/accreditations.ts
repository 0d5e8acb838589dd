/** The accreditation registry (safe people) in SQLite. */
import type Database from 'better-sqlite3';
import type { AuditEventInput } from '../../audit/types';
import type { Accreditation } from '../../records/accreditation';
import type { AccreditationStore } from '../port';
import {
  accreditationFromRow as fromRow,
  accreditationToRow as toRow,
  type AccreditationRow,
} from '../rows/accreditation';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';

const INSERT = `INSERT INTO accreditations
    (user_id, partner_id, display_name, roles, vetting_level, trained_on, expires_on, suspended, teams)
  VALUES
    (@user_id, @partner_id, @display_name, @roles, @vetting_level, @trained_on, @expires_on, @suspended, @teams)`;

/** The registry's rows, read and written inside whatever transaction the caller is in. */
export interface AccreditationRows {
  get(partnerId: string, userId: string): Accreditation | undefined;
  /** Insert or replace one entry. */
  put(entry: Accreditation): void;
  /** Insert one entry unless it exists; true when it was added. */
  add(entry: Accreditation): boolean;
}

export function createAccreditationRows(db: Database.Database): AccreditationRows {
  const getStmt = db.prepare<[string, string], AccreditationRow>(
    'SELECT * FROM accreditations WHERE partner_id = ? AND user_id = ?',
  );
  const upsert = db.prepare(
    INSERT +
      ` ON CONFLICT (partner_id, user_id) DO UPDATE SET
        display_name = excluded.display_name, roles = excluded.roles,
        vetting_level = excluded.vetting_level, trained_on = excluded.trained_on,
        expires_on = excluded.expires_on, suspended = excluded.suspended, teams = excluded.teams`,
  );
  const insertNew = db.prepare(INSERT + ' ON CONFLICT (partner_id, user_id) DO NOTHING');
  return {
    get(partnerId, userId) {
      const row = getStmt.get(partnerId, userId);
      return row ? fromRow(row) : undefined;
    },
    put(entry) {
      upsert.run(toRow(entry));
    },
    add(entry) {
      return insertNew.run(toRow(entry)).changes === 1;
    },
  };
}

export function createAccreditations(
  db: Database.Database,
  rows: AccreditationRows,
  appendInTx: AppendInTx,
  unit: RunUnit,
): AccreditationStore {
  const listAll = db.prepare<[], AccreditationRow>(
    'SELECT * FROM accreditations ORDER BY partner_id, user_id',
  );
  const listPartner = db.prepare<[string], AccreditationRow>(
    'SELECT * FROM accreditations WHERE partner_id = ? ORDER BY user_id',
  );

  const put = (entry: Accreditation, events: AuditEventInput[]) => {
    rows.put(entry);
    appendInTx(events);
  };

  const seed = (entries: Accreditation[], events: (added: Accreditation[]) => AuditEventInput[]) => {
    const added = entries.filter((entry) => rows.add(entry));
    // Nothing added, nothing to log: re-seeding at every start-up leaves the log alone.
    if (added.length > 0) appendInTx(events(added));
    return added.length;
  };

  return {
    async get(partnerId, userId) {
      return rows.get(partnerId, userId);
    },
    async list(partnerId) {
      const found = partnerId === undefined ? listAll.all() : listPartner.all(partnerId);
      return found.map(fromRow);
    },
    put(entry, events) {
      return unit(() => put(entry, events));
    },
    seed(entries, events) {
      return unit(() => seed(entries, events));
    },
  };
}
