import type { MfaClaim } from './assurance';

/** Who is calling, as proven by a verified token. Roles come from the accreditation registry, not the token. */
export interface Identity {
  userId: string;
  /** The partner the token's issuer is bound to: an identity can never act for another partner. */
  partnerId: string;
  issuer: string;
  /** Authentication methods (RFC 8176) as the token lists them, e.g. ["pwd", "otp"]. */
  amr: string[];
  /**
   * Multi-factor authentication as the token's issuer defines it (its `assurance` in partners.yaml),
   * decided by the verifier: the setting safe checks only this.
   */
  mfa: boolean;
  /** The claim that showed `mfa`, or when none did, the claims the issuer's settings read. */
  mfaClaims: readonly MfaClaim[];
  /** Seconds since epoch when the user authenticated (`auth_time`), if the issuer says. */
  authTime?: number;
  /** Seconds since epoch when the token expires. */
  expiresAt: number;
}
