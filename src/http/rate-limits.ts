/**
 * Rate limits: a control of the safe setting (is the access environment used as intended?) that acts
 * before any decision, on every guarded call. Four limits, each a number of uses per window:
 * - perAddress: every call from a client address, taken before its token is verified;
 * - failedAuth: failed authentications from an address; once they are used up, every call from the
 *   address is refused until the window ends, a good token too (so guessing costs the guesser);
 * - lookups: a person's (partner, user) hit/no-hit lookups;
 * - perPerson: a person's other calls.
 * A call over a limit is answered 429 with Retry-After and a detail naming the limit (no personal
 * data). It is refused before its decision, so it has none and leaves no entry in the disclosure log.
 * The counters are the store's (store.rateLimits): in memory for SQLite's single process, in the
 * database for PostgreSQL, so that instances sharing it share each limit. The API guard, the lookup
 * fast lane and the portal's sign-in all go through `authenticate` or its two halves here: one rule.
 */
import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import type { Identity } from '../auth/identity';
import type { RateLimitRule, RateLimiter, Store } from '../store/port';
import { ProblemError, problems } from './problem';
import { sendProblem } from './problem-response';

export interface RateLimitsConfig {
  enabled: boolean;
  perAddress: RateLimitRule;
  perPerson: RateLimitRule;
  lookups: RateLimitRule;
  failedAuth: RateLimitRule;
}

export type RateLimitName = Exclude<keyof RateLimitsConfig, 'enabled'>;

/** Which of a person's limits a route's calls count against (RouteSpec.rateLimit). */
export type PersonLimit = 'lookups' | 'perPerson';

export interface RateLimits {
  /**
   * Authenticates a call from `address` with `verify`, within the limits: the address's first (before
   * any work of verifying), a failed authentication then counted against it, and the person's of
   * `kind` once known. Throws the 429 problem of a limit reached, or what `verify` threw.
   */
  authenticate(address: string, kind: PersonLimit, verify: () => Promise<Identity>): Promise<Identity>;
  /** The first half: takes a use of the address, refused when it or its failed authentications are used up. */
  admitAddress(address: string): Promise<void>;
  /** Counts a failed authentication from the address (never throws: the call is refused anyway). */
  failedAuthentication(address: string): Promise<void>;
}

const WHAT: Record<RateLimitName, string> = {
  perAddress: 'calls from this address',
  failedAuth: 'failed authentications from this address',
  perPerson: 'calls by this user',
  lookups: 'lookups by this user',
};

const NOTHING = () => undefined;

/**
 * Whose address it is, for the limits: an IPv4 address (IPv4-mapped IPv6 ones too) as it is, an IPv6
 * address by its /64, which a network hands one subscriber whole (counted one by one, a client would
 * have 2^64 allowances). Text that is no address is counted as it is.
 */
export function addressKey(address: string): string {
  if (!address.includes(':') || !ipaddr.isValid(address)) return address; // IPv4 as it is, cheaply
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

/** The limits of the configuration on the store's counters; undefined when they are turned off. */
export function createRateLimits(
  config: RateLimitsConfig | undefined,
  store: Pick<Store, 'rateLimits'>,
): RateLimits | undefined {
  if (!config?.enabled) return undefined;
  const limiter = (name: RateLimitName): RateLimiter => store.rateLimits.limiter(name, config[name]);
  const perAddress = limiter('perAddress');
  const failedAuth = limiter('failedAuth');
  const person: Record<PersonLimit, RateLimiter> = {
    lookups: limiter('lookups'),
    perPerson: limiter('perPerson'),
  };

  const refused = (name: RateLimitName, waitMs: number): ProblemError => {
    const rule = config[name];
    return problems.tooManyRequests(
      `Too many ${WHAT[name]}: at most ${rule.points} in ${rule.durationSeconds} seconds.`,
      Math.ceil(waitMs / 1000),
      { limit: name },
    );
  };

  const admitAddress = async (address: string): Promise<void> => {
    const key = addressKey(address);
    const [wait, failedWait] = await Promise.all([perAddress.consume(key), failedAuth.exhausted(key)]);
    if (failedWait > 0) throw refused('failedAuth', failedWait);
    if (wait > 0) throw refused('perAddress', wait);
  };

  const failedAuthentication = (address: string): Promise<void> =>
    failedAuth.consume(addressKey(address)).then(NOTHING, NOTHING);

  return {
    admitAddress,
    failedAuthentication,
    async authenticate(address, kind, verify) {
      await admitAddress(address);
      let identity: Identity;
      try {
        identity = await verify();
      } catch (error) {
        if (error instanceof ProblemError && error.status === 401) await failedAuthentication(address);
        throw error;
      }
      // User ids are unique within their partner only; the length keeps (partner, user) pairs apart.
      const wait = await person[kind].consume(
        `${identity.partnerId.length}:${identity.partnerId}${identity.userId}`,
      );
      if (wait > 0) throw refused(kind, wait);
      return identity;
    },
  };
}

/**
 * The portal's sign-in form within the address's limits: refused (429) when they are used up, and a
 * sign-in the portal refuses as unauthenticated (401: a token that is not valid) counted as a failed
 * authentication once its answer is sent.
 */
export function signInLimits(limits: RateLimits): RequestHandler {
  return (req, res, next) => {
    const address = req.ip ?? '';
    limits.admitAddress(address).then(
      () => {
        res.on('finish', () => {
          if (res.statusCode === 401) void limits.failedAuthentication(address);
        });
        next();
      },
      (error: unknown) => (error instanceof ProblemError ? sendProblem(res, error) : next(error)),
    );
  };
}
