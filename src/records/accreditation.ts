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
