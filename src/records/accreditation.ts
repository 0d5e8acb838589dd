import type { Role } from '../policy/types';

/** The gateway's own registry entry for a user (safe people). */
export interface Accreditation {
  userId: string;
  partnerId: string;
  displayName: string;
  roles: Role[];
  /** 0 = none, 1 = basic, 2 = enhanced, 3 = high. */
  vettingLevel: number;
  /** ISO date (YYYY-MM-DD) of the last data-protection training. */
  trainedOn: string;
  /** ISO date after which the accreditation no longer holds. */
  expiresOn: string;
  suspended: boolean;
  /** Team names within the partner, for recipients. */
  teams?: string[];
}

/** A person: a user of a partner. User ids are unique only within their partner. */
export type Person = Pick<Accreditation, 'partnerId' | 'userId'>;

export const USER_ID = /^[A-Za-z0-9._@-]{1,128}$/;
/** A person written as one value, `partner:user` (e.g. `police-se:sven`): neither part holds a colon. */
export const PERSON = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9._@-]{1,128})$/;

/** `partner:user` → the person, or undefined when it is not of that form. */
export function parsePerson(text: string): Person | undefined {
  const match = PERSON.exec(text);
  return match ? { partnerId: match[1], userId: match[2] } : undefined;
}

/** Roles that one admin cannot grant alone: a second admin approves (separation of duties). */
export const PRIVILEGED_ROLES = ['dpo', 'admin', 'legal'] as const satisfies readonly Role[];
export type PrivilegedRole = (typeof PRIVILEGED_ROLES)[number];

export function isPrivileged(role: Role): role is PrivilegedRole {
  return (PRIVILEGED_ROLES as readonly Role[]).includes(role);
}

/** A proposal to give a person a privileged role: changes nothing until another admin approves it. */
export interface RoleGrant {
  id: string;
  subject: Person;
  role: PrivilegedRole;
  state: 'pending' | 'approved' | 'rejected';
  proposer: Person;
  proposedAt: string;
  /** Who approved or rejected it, when, and (for a rejection) why. */
  decidedBy: Person | null;
  decidedAt: string | null;
  reason: string | null;
}
