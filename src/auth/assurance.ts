/**
 * What an issuer's tokens assert about the authentication, read as the issuer's `assurance` settings
 * in partners.yaml say: which `amr` methods (RFC 8176) or `acr` values count as multi-factor, the
 * longest token lifetime and the clock skew. An issuer that says nothing gets the strict defaults:
 * only an explicit `mfa` method counts, tokens live at most an hour, the gateway's skew applies.
 */
import type { IssuerAssurance, IssuerConfig } from '../policy/types';

/** Upper bound on any clock tolerance: more would make expiry meaningless for short tokens. */
export const MAX_CLOCK_SKEW_SECONDS = 60;
/** `mfaAmr` when the issuer does not say: the issuer must assert `mfa` itself. */
export const DEFAULT_MFA_AMR: readonly (readonly string[])[] = [['mfa']];
/** `maxTokenLifetimeSeconds` when the issuer does not say. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600;
/** The longest lifetime any issuer may allow (as the partners schema says). */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** RFC 8176 methods that are something the user knows: any number of them is still one factor. */
const KNOWLEDGE_METHODS: ReadonlySet<string> = new Set(['pwd', 'pin', 'kba']);

/** True for an `mfaAmr` set that cannot be multi-factor: empty, or knowledge methods only. */
export function isSingleFactorSet(set: readonly string[]): boolean {
  return set.every((method) => KNOWLEDGE_METHODS.has(method));
}

/** The claims that can show multi-factor authentication. */
export type MfaClaim = 'amr' | 'acr';

/** An issuer's settings with the defaults filled in, checked once when the verifier is made. */
export interface Assurance {
  /** Sets of `amr` methods; a token whose `amr` holds every method of one set is multi-factor. */
  mfaAmr: readonly (readonly string[])[];
  /** `acr` values that count as multi-factor. */
  mfaAcr: readonly string[];
  maxTokenLifetimeSeconds: number;
  clockSkewSeconds: number;
  /** The claims these settings read, named when a token shows no multi-factor authentication. */
  mfaClaims: readonly MfaClaim[];
}

/** What the verifier puts on the identity: the setting safe checks `mfa` and names `mfaClaims`. */
export interface MfaReading {
  mfa: boolean;
  /** The claim that showed it, or when none did, the claims the issuer's settings read. */
  mfaClaims: readonly MfaClaim[];
}

const BY_AMR: readonly MfaClaim[] = Object.freeze(['amr']);
const BY_ACR: readonly MfaClaim[] = Object.freeze(['acr']);

/** The longest lifetime `issuer` allows its tokens (demo tokens are held to it too). */
export function maxTokenLifetimeOf(issuer: IssuerConfig): number {
  return issuer.assurance?.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
}

/**
 * The issuer's settings with defaults; throws (naming `label`) on values the partners schema refuses,
 * so a bundle built in code fails at start-up like one read from YAML.
 */
export function compileAssurance(
  settings: IssuerAssurance | undefined,
  gatewaySkewSeconds: number,
  label: string,
): Assurance {
  const mfaAmr = settings?.mfaAmr ?? DEFAULT_MFA_AMR;
  const mfaAcr = settings?.mfaAcr ?? [];
  const lifetime = settings?.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const skew = settings?.clockSkewSeconds ?? gatewaySkewSeconds;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new Error(
      `${label}: maxTokenLifetimeSeconds must be 1 to ${MAX_TOKEN_LIFETIME_SECONDS}, got ${lifetime}.`,
    );
  }
  if (!Number.isFinite(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_SECONDS) {
    throw new Error(`${label}: clockSkewSeconds must be 0 to ${MAX_CLOCK_SKEW_SECONDS}, got ${skew}.`);
  }
  if (mfaAmr.some(isSingleFactorSet)) {
    throw new Error(`${label}: an mfaAmr set is empty or holds only knowledge methods (pwd, pin, kba).`);
  }
  const mfaClaims: MfaClaim[] = [];
  if (mfaAmr.length > 0) mfaClaims.push('amr');
  if (mfaAcr.length > 0) mfaClaims.push('acr');
  return {
    mfaAmr,
    mfaAcr,
    maxTokenLifetimeSeconds: lifetime,
    clockSkewSeconds: skew,
    mfaClaims: Object.freeze(mfaClaims),
  };
}

/** Multi-factor when `amr` holds every method of one of the issuer's sets, or `acr` is one of its values. */
export function readMfa(amr: readonly string[], acr: unknown, assurance: Assurance): MfaReading {
  if (assurance.mfaAmr.some((set) => set.every((method) => amr.includes(method)))) {
    return { mfa: true, mfaClaims: BY_AMR };
  }
  if (typeof acr === 'string' && assurance.mfaAcr.includes(acr)) return { mfa: true, mfaClaims: BY_ACR };
  return { mfa: false, mfaClaims: assurance.mfaClaims };
}
