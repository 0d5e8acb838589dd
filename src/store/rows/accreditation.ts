/** An accreditation as a row of `accreditations`, the same columns in every engine. */
import type { Role } from '../../policy/types';
import type { Accreditation } from '../../records/accreditation';

export interface AccreditationRow {
  user_id: string;
  partner_id: string;
  display_name: string;
  roles: string;
  vetting_level: number;
  trained_on: string;
  expires_on: string;
  /** 0 or 1. */
  suspended: number;
  teams: string | null;
}

export function accreditationToRow(entry: Accreditation): AccreditationRow {
  return {
    user_id: entry.userId,
    partner_id: entry.partnerId,
    display_name: entry.displayName,
    roles: JSON.stringify(entry.roles),
    vetting_level: entry.vettingLevel,
    trained_on: entry.trainedOn,
    expires_on: entry.expiresOn,
    suspended: entry.suspended ? 1 : 0,
    teams: entry.teams === undefined ? null : JSON.stringify(entry.teams),
  };
}

export function accreditationFromRow(row: AccreditationRow): Accreditation {
  const entry: Accreditation = {
    userId: row.user_id,
    partnerId: row.partner_id,
    displayName: row.display_name,
    roles: JSON.parse(row.roles) as Role[],
    vettingLevel: row.vetting_level,
    trainedOn: row.trained_on,
    expiresOn: row.expires_on,
    suspended: row.suspended === 1,
  };
  if (row.teams !== null) entry.teams = JSON.parse(row.teams) as string[];
  return entry;
}
