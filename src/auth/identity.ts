/** Who is calling, as proven by a verified token. Roles come from the accreditation registry, not the token. */
export interface Identity {
  userId: string;
  /** The partner the token's issuer is bound to: an identity can never act for another partner. */
  partnerId: string;
  issuer: string;
  /** Authentication methods (RFC 8176), e.g. ["pwd", "otp"]; "mfa" or two factors count as MFA. */
  amr: string[];
  /** Seconds since epoch when the user authenticated (`auth_time`), if the issuer says. */
  authTime?: number;
  /** Seconds since epoch when the token expires. */
  expiresAt: number;
}
