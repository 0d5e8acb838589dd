/**
 * Verifies partner-issued JWTs and turns them into an Identity. Every issuer is bound to exactly one
 * partner and pinned to one algorithm and one key, all taken from the policy bundle, never from the
 * token: this is what stops `alg: none`, HS256-with-the-public-key and cross-partner impersonation.
 * The issuer's assurance settings (assurance.ts) decide what counts as multi-factor, the longest
 * lifetime and the clock skew.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { Identity } from './identity';
import { compileAssurance, MAX_CLOCK_SKEW_SECONDS, readMfa, type Assurance } from './assurance';
import type { IssuerConfig, Partner, TokenAlgorithm } from '../policy/types';
import { problems } from '../http/problem';
import { findIllFormed } from '../http/well-formed';
import {
  checkKeyUrl,
  discoveredKeys,
  JWKS_DEFAULTS,
  KeysUnavailable,
  RemoteKeySet,
  type JwksOptions,
  type KeysState,
} from './remote-keys';

export { JWKS_DEFAULTS, type JwksOptions, type KeysState };

export interface VerifierOptions {
  partners: ReadonlyMap<string, Partner>;
  /** Absolute folder issuer key paths are relative to (the policy bundle folder). */
  bundleDir: string;
  /** The `aud` every token must carry: this gateway. */
  audience: string;
  /** Tolerance for clock drift on exp/nbf/iat/auth_time, at most 60 s; an issuer may set its own. */
  clockSkewSeconds: number;
  /** Trust issuers marked `demo: true` (their private keys are public). */
  acceptDemoIssuers: boolean;
  /**
   * Verified tokens kept in memory so that a client's next request skips the signature check
   * (default: 10,000 tokens for at most 60 s; `maxEntries: 0` turns the cache off). See `TokenCache`.
   */
  cache?: { maxEntries?: number; maxTtlSeconds?: number };
  /** How issuers' key sets (jwksUri or discovery) are fetched and cached (JWKS_DEFAULTS). */
  jwks?: JwksOptions;
  /** Milliseconds since the epoch (tests); default Date.now. Used by jose and by the cache alike. */
  now?: () => number;
}

/**
 * What a token is presented as: an API access token (the default: audience this gateway, and the
 * issuer's `accessTokenType` where it sets one), or the ID token of a portal sign-in with the issuer's
 * `signIn` client (audience that client). A token verified as one never counts as the other.
 */
export type TokenUse = { kind: 'access' } | { kind: 'id'; clientId: string };

const ACCESS: TokenUse = { kind: 'access' };

export interface TokenVerifier {
  verify(token: string, use?: TokenUse): Promise<Identity>;
  /** Tokens held by the verified-token cache now (tests, metrics). */
  cachedTokens?(): number;
  /**
   * Per issuer whose keys are fetched (jwksUri or discovery): whether they could be had at the last
   * attempt. Read from memory; an issuer not reachable is tried again in the background, at most once
   * per cooldown, so that asking often (a readiness probe) never makes a storm of fetches.
   */
  issuerStatus?(): Record<string, KeysState>;
}

export { MAX_CLOCK_SKEW_SECONDS };
/** Real tokens are a few KB at most (8 KiB is what common proxies pass in one header); refuse bigger. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/** Generic details: a 401 never echoes the token or any of its claims. */
const NOT_VERIFIED = 'The token could not be verified.';
const EXPIRED = 'The token has expired.';

/** Defaults of the verified-token cache: short enough that it only spares repeated signature checks. */
export const TOKEN_CACHE_DEFAULTS = { maxEntries: 10_000, maxTtlSeconds: 60 } as const;
/** Upper bound of the cache's time to live, whatever the configuration says. */
export const MAX_TOKEN_CACHE_TTL_SECONDS = 300;

interface CachedToken {
  identity: Identity;
  exp: number;
  /** The latest of iat, nbf and auth_time: none may be beyond now + skew. */
  notBefore: number;
  /** The issuer's clock skew, in seconds. */
  skew: number;
  /** Milliseconds since the epoch after which the entry is dropped and the token verified again. */
  until: number;
}

/**
 * Tokens that passed the full verification (signature with the issuer's pinned algorithm and key,
 * issuer, audience, times, lifetime, required claims), by the SHA-256 of the whole token text: only
 * the very same bytes, signature included, find an entry, so a cached token can never stand for
 * another issuer, partner or subject. Nothing that failed is ever stored. An entry lives until the
 * token's `exp` or `maxTtlSeconds`, whichever comes first, and `exp` and the latest of `iat`, `nbf`
 * and `auth_time` are checked again (with the issuer's skew) on every use. Least recently used
 * entries go first once `maxEntries` is reached.
 */
class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTtlMs: number,
  ) {}

  /** The use is part of the key: a token checked as an ID token is no access token, nor the reverse. */
  static key(token: string, use: TokenUse): string {
    const hash = createHash('sha256').update(use.kind === 'id' ? `id\n${use.clientId}\n` : 'access\n');
    return hash.update(token).digest('base64');
  }

  get(key: string, nowMs: number): CachedToken | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (nowMs >= entry.until) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, entry: Omit<CachedToken, 'until'>, nowMs: number): void {
    if (this.maxEntries <= 0) return;
    const until = Math.min(entry.exp * 1000, nowMs + this.maxTtlMs);
    if (until <= nowMs) return;
    this.entries.delete(key);
    this.entries.set(key, { ...entry, until });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A copy, so that nothing a request does to its identity reaches the cached one (mfaClaims is frozen). */
function copyIdentity(identity: Identity): Identity {
  return { ...identity, amr: [...identity.amr] };
}

interface TrustedIssuer {
  partnerId: string;
  config: IssuerConfig;
  /** The static key, or the fetched and cached key set. */
  key: KeyObject | RemoteKeySet;
  /** The algorithms its tokens may use: pinned in the bundle, never from the token. */
  algorithms: TokenAlgorithm[];
  assurance: Assurance;
}

const KEYS_UNREACHABLE = "The token's issuer's keys cannot be fetched now; try again later.";

/** An issuer's key set, at its jwksUri or found through its discovery document. */
function keySetOf(partnerId: string, issuer: IssuerConfig, jwks: JwksOptions): RemoteKeySet {
  const label = `Partner ${partnerId}, issuer ${issuer.iss}`;
  if (!issuer.algorithms || issuer.algorithms.length === 0) {
    throw new Error(
      `${label}: a key set (jwksUri or discovery) needs the algorithms its tokens may use (algorithms: [...]).`,
    );
  }
  const options = { ...JWKS_DEFAULTS, ...jwks };
  // A set kept for less than the cooldown would leave the issuer without keys between the two.
  if (options.cooldownMs > options.cacheMaxAgeMs) {
    throw new Error('auth.jwks: cooldownMs must not be longer than cacheMaxAgeMs.');
  }
  if (issuer.discovery) {
    checkKeyUrl(issuer.iss, label, 'an issuer with discovery');
    return new RemoteKeySet(discoveredKeys(issuer.iss, label), options);
  }
  const url = checkKeyUrl(issuer.jwksUri, label, 'jwksUri');
  return new RemoteKeySet(() => Promise.resolve(url), options);
}

/**
 * Throws unless `key` is a public or private key of the family `algorithm` needs, so a
 * misconfigured bundle fails at start-up instead of rejecting every token at run time.
 */
export function assertKeyFitsAlgorithm(algorithm: TokenAlgorithm, key: KeyObject, label: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fail = (need: string): never => {
    throw new Error(`${label}: algorithm ${algorithm} needs ${need}, but the key is ${type ?? key.type}.`);
  };
  switch (algorithm) {
    case 'ES256':
      if (type !== 'ec' || details.namedCurve !== 'prime256v1') fail('an EC P-256 key');
      break;
    case 'ES384':
      if (type !== 'ec' || details.namedCurve !== 'secp384r1') fail('an EC P-384 key');
      break;
    case 'RS256':
      if (type !== 'rsa' || (details.modulusLength ?? 0) < 2048) fail('an RSA key of at least 2048 bits');
      break;
    case 'PS256':
      if ((type !== 'rsa' && type !== 'rsa-pss') || (details.modulusLength ?? 0) < 2048) {
        fail('an RSA key of at least 2048 bits');
      }
      break;
    case 'EdDSA':
      if (type !== 'ed25519' && type !== 'ed448') fail('an Ed25519 or Ed448 key');
      break;
    default:
      throw new Error(`${label}: unsupported algorithm ${String(algorithm)}.`);
  }
}

function loadPublicKey(partnerId: string, issuer: IssuerConfig, bundleDir: string): KeyObject {
  const file = path.resolve(bundleDir, issuer.publicKey!);
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Partner ${partnerId}, issuer ${issuer.iss}: cannot load public key ${file}: ${reason}`, {
      cause: err,
    });
  }
  assertKeyFitsAlgorithm(issuer.algorithm!, key, `Partner ${partnerId}, issuer ${issuer.iss} (${file})`);
  return key;
}

function loadIssuers(opts: VerifierOptions): Map<string, TrustedIssuer> {
  const trusted = new Map<string, TrustedIssuer>();
  for (const partner of opts.partners.values()) {
    for (const issuer of partner.issuers) {
      // A demo issuer is not even loaded when demo mode is off: its key can never match.
      if (issuer.demo && !opts.acceptDemoIssuers) continue;
      const existing = trusted.get(issuer.iss);
      if (existing) {
        // One iss, one partner: otherwise partnerId would depend on map order.
        throw new Error(`Issuer ${issuer.iss} is bound to both ${existing.partnerId} and ${partner.id}.`);
      }
      const label = `Partner ${partner.id}, issuer ${issuer.iss}`;
      const staticKey = issuer.publicKey !== undefined || issuer.algorithm !== undefined;
      const keySet =
        issuer.jwksUri !== undefined || issuer.algorithms !== undefined || issuer.discovery === true;
      if (staticKey === keySet) {
        throw new Error(
          `${label}: give either publicKey with algorithm, or algorithms with jwksUri or discovery (exactly one of the two).`,
        );
      }
      if (staticKey && (!issuer.publicKey || !issuer.algorithm)) {
        throw new Error(`${label}: a static key needs both publicKey and algorithm.`);
      }
      if (issuer.discovery && issuer.jwksUri !== undefined) {
        throw new Error(`${label}: discovery finds the key set itself; give jwksUri or discovery, not both.`);
      }
      if (keySet && !issuer.jwksUri && !issuer.discovery) {
        throw new Error(`${label}: algorithms without a jwksUri or discovery.`);
      }
      // ID tokens carry the client id as audience: the gateway's own would make them API tokens.
      if (issuer.signIn?.clientId === opts.audience && !issuer.accessTokenType) {
        throw new Error(
          `${label}: the sign-in clientId is the gateway's audience, so its ID tokens would pass as API tokens; register another clientId, or set accessTokenType.`,
        );
      }
      trusted.set(issuer.iss, {
        partnerId: partner.id,
        config: issuer,
        key: staticKey
          ? loadPublicKey(partner.id, issuer, opts.bundleDir)
          : keySetOf(partner.id, issuer, opts.jwks ?? {}),
        algorithms: staticKey ? [issuer.algorithm!] : issuer.algorithms!,
        assurance: compileAssurance(
          issuer.assurance,
          opts.clockSkewSeconds,
          `Partner ${partner.id}, issuer ${issuer.iss}`,
        ),
      });
    }
  }
  return trusted;
}

/** Reads `iss` from an unverified token, only to choose the key; any failure is a generic 401. */
function unverifiedIssuer(token: string): string {
  try {
    const iss = decodeJwt(token).iss;
    if (typeof iss === 'string' && iss.length > 0) return iss;
  } catch {
    // fall through: malformed
  }
  throw problems.unauthenticated(NOT_VERIFIED);
}

function amrOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  const gatewaySkew = opts.clockSkewSeconds;
  if (!Number.isFinite(gatewaySkew) || gatewaySkew < 0 || gatewaySkew > MAX_CLOCK_SKEW_SECONDS) {
    throw new Error(`clockSkewSeconds must be between 0 and ${MAX_CLOCK_SKEW_SECONDS}, got ${gatewaySkew}.`);
  }
  if (!opts.audience) throw new Error('The token audience must not be empty.');
  const issuers = loadIssuers(opts);
  // Every key set is fetched once now, in the background: start-up does not wait for identity providers,
  // and issuerStatus knows each one's state before the first token arrives.
  for (const trusted of issuers.values()) {
    if (trusted.key instanceof RemoteKeySet) void trusted.key.refresh();
  }
  const now = opts.now ?? Date.now;
  const maxEntries = Math.floor(opts.cache?.maxEntries ?? TOKEN_CACHE_DEFAULTS.maxEntries);
  const ttl = opts.cache?.maxTtlSeconds ?? TOKEN_CACHE_DEFAULTS.maxTtlSeconds;
  if (!Number.isFinite(ttl) || ttl < 0 || ttl > MAX_TOKEN_CACHE_TTL_SECONDS) {
    throw new Error(`cache.maxTtlSeconds must be between 0 and ${MAX_TOKEN_CACHE_TTL_SECONDS}, got ${ttl}.`);
  }
  const cache = maxEntries > 0 && ttl > 0 ? new TokenCache(maxEntries, ttl * 1000) : undefined;

  const inFlight = new Map<string, Promise<Identity>>();

  /** The full check (signature, issuer, audience, times, lifetime, claims); the result goes to the cache. */
  async function verifyFully(token: string, use: TokenUse, key: string, nowMs: number): Promise<Identity> {
    const trusted = issuers.get(unverifiedIssuer(token));
    if (!trusted) throw problems.unauthenticated(NOT_VERIFIED);
    // An ID token only from the issuer whose sign-in client it was issued to.
    if (use.kind === 'id' && trusted.config.signIn?.clientId !== use.clientId) {
      throw problems.unauthenticated(NOT_VERIFIED);
    }
    const { assurance } = trusted;
    const skew = assurance.clockSkewSeconds;

    let payload;
    try {
      const checks = {
        algorithms: trusted.algorithms,
        issuer: trusted.config.iss,
        audience: use.kind === 'id' ? use.clientId : opts.audience,
        ...(use.kind === 'access' && trusted.config.accessTokenType
          ? { typ: trusted.config.accessTokenType }
          : {}),
        clockTolerance: skew,
        currentDate: new Date(nowMs),
        requiredClaims: ['iss', 'aud', 'exp', 'sub', 'iat'],
      };
      ({ payload } =
        trusted.key instanceof RemoteKeySet
          ? await jwtVerify(token, trusted.key.getKey, checks)
          : await jwtVerify(token, trusted.key, checks));
    } catch (err) {
      if (err instanceof KeysUnavailable) throw problems.unavailable(KEYS_UNREACHABLE, err.retryAfterSeconds);
      // jose checks the signature before the claims, so "expired" is only said of genuine tokens.
      throw problems.unauthenticated(err instanceof errors.JWTExpired ? EXPIRED : NOT_VERIFIED);
    }

    // jose has checked exp and nbf against the clock, and that exp, iat and nbf are numbers.
    const { sub, exp, iat } = payload;
    if (typeof sub !== 'string' || sub.length === 0 || typeof exp !== 'number' || typeof iat !== 'number') {
      throw problems.unauthenticated(NOT_VERIFIED);
    }
    // Claims are text the log and the store keep (sub is the actor of every entry): a claim that is not
    // well-formed (a lone surrogate) could not be kept as decided on, so the token is not accepted.
    if (findIllFormed(payload)) throw problems.unauthenticated(NOT_VERIFIED);
    // An ID token for several audiences names the client it was issued to (OpenID Connect Core 3.1.3.7).
    if (use.kind === 'id' && Array.isArray(payload.aud) && payload.aud.length > 1) {
      if (payload.azp !== use.clientId) throw problems.unauthenticated(NOT_VERIFIED);
    }
    // Written as a negated "within" so that a lifetime that is not a number fails closed.
    const lifetime = exp - iat;
    if (!(lifetime > 0 && lifetime <= assurance.maxTokenLifetimeSeconds)) {
      throw problems.unauthenticated(NOT_VERIFIED);
    }
    // Nothing may have happened in the future: not the issue, not the start of validity, not the sign-in.
    const authTime = finiteNumber(payload.auth_time);
    const notBefore = Math.max(iat, finiteNumber(payload.nbf) ?? iat, authTime ?? iat);
    if (notBefore > Math.floor(nowMs / 1000) + skew) throw problems.unauthenticated(NOT_VERIFIED);

    const amr = amrOf(payload.amr);
    const identity: Identity = {
      userId: sub,
      partnerId: trusted.partnerId, // from the issuer binding, never from a claim
      issuer: trusted.config.iss,
      amr,
      ...readMfa(amr, payload.acr, assurance),
      expiresAt: exp,
    };
    if (authTime !== undefined) identity.authTime = authTime;
    cache?.set(key, { identity: copyIdentity(identity), exp, notBefore, skew }, nowMs);
    return identity;
  }

  return {
    async verify(token: string, use: TokenUse = ACCESS): Promise<Identity> {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw problems.unauthenticated(NOT_VERIFIED);
      }
      const nowMs = now();
      const key = cache ? TokenCache.key(token, use) : '';
      const hit = cache?.get(key, nowMs);
      if (hit) {
        // The same time checks as the full verification, with the issuer's tolerance, at every use.
        const nowSec = Math.floor(nowMs / 1000);
        if (hit.exp <= nowSec - hit.skew) {
          cache!.delete(key);
          throw problems.unauthenticated(EXPIRED);
        }
        if (hit.notBefore > nowSec + hit.skew) {
          cache!.delete(key);
          throw problems.unauthenticated(NOT_VERIFIED);
        }
        return copyIdentity(hit.identity);
      }
      if (!cache) return verifyFully(token, use, key, nowMs);
      // Concurrent requests with the very same token (a client's parallel calls) share one signature
      // check: each would miss the cache until the first one has stored its result.
      let pending = inFlight.get(key);
      if (!pending) {
        pending = verifyFully(token, use, key, nowMs).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return copyIdentity(await pending);
    },
    cachedTokens: () => cache?.size ?? 0,
    issuerStatus: () => {
      const status: Record<string, KeysState> = {};
      for (const [iss, trusted] of issuers) {
        if (!(trusted.key instanceof RemoteKeySet)) continue;
        if (trusted.key.status === 'unreachable') void trusted.key.refresh();
        status[iss] = trusted.key.status;
      }
      return status;
    },
  };
}
