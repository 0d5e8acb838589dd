import type { Enforcer } from 'casbin';
import type { NextFunction, Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import type { TokenVerifier } from '../auth/verifier';
import { allows } from '../policy/enforce';
import type { Bundle } from '../policy/types';
import type { Accreditation } from '../records/accreditation';
import type { Store } from '../store/port';
import { problems } from './problem';
import { sendProblem } from './problem-response';
import type { PersonLimit, RateLimits } from './rate-limits';
import type { Guard, GuardMiddleware } from './routes';
import { ProblemError } from './problem';

export interface GuardDeps {
  verifier: TokenVerifier;
  store: Store;
  bundle: () => Bundle;
  clock: () => Date;
  /**
   * Who is calling, where it is not the request's bearer token: the portal's session, whose token is
   * verified by the same verifier (as the ID token of its sign-in, or the token pasted at sign-in).
   */
  authenticate?: (req: Request, res: Response) => Promise<Identity>;
  /** Rate limits (http/rate-limits.ts) around authenticating; none when absent or turned off. */
  rateLimits?: RateLimits;
  /**
   * How a refusal is answered (default: sendGuardProblem, the API's problem+json). The portal answers
   * with a page of its own, or a redirect to sign in.
   */
  onProblem?: (req: Request, res: Response, problem: ProblemError) => void;
}

/**
 * An accreditation that lets its holder act at all today: known, active, unexpired. It is looked up by
 * (partner, user); the partner is compared again so that no other partner's entry ever counts.
 */
export function isActive(
  entry: Accreditation | undefined,
  identity: Pick<Identity, 'partnerId'>,
  now: Date,
): entry is Accreditation {
  return (
    entry !== undefined &&
    entry.partnerId === identity.partnerId &&
    !entry.suspended &&
    entry.expiresOn >= now.toISOString().slice(0, 10)
  );
}

/** Whether one of the entry's roles may perform one of `actions` for its partner (casbin). */
export function rolesAllow(entry: Accreditation, actions: readonly string[], enforcer: Enforcer): boolean {
  return entry.roles.some((role) =>
    actions.some((action) => allows(enforcer, role, entry.partnerId, action)),
  );
}

/** Sent with every 401: the scheme the API wants (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="five-safes-gateway"';

/** The `authenticated` guard: the identity of a verified bearer token in `header`, or a 401 problem. */
export async function authenticate(verifier: TokenVerifier, header: string | undefined): Promise<Identity> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header ?? '');
  if (!match) throw problems.unauthenticated('A bearer token is required.');
  return verifier.verify(match[1]);
}

/** The API's answer to a refusal: problem+json, with the scheme the API wants on a 401. */
export function sendGuardProblem(res: Response, problem: ProblemError): void {
  if (problem.status === 401) res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  sendProblem(res, problem);
}

export function createGuardMiddleware(deps: GuardDeps): GuardMiddleware {
  const limits = deps.rateLimits;
  const onProblem =
    deps.onProblem ?? ((_req: Request, res: Response, p: ProblemError) => sendGuardProblem(res, p));
  return (guard, route) => (req: Request, res: Response, next: NextFunction) => {
    if (guard.kind === 'public') return next();
    check(guard, route?.rateLimit ?? 'perPerson', req, res)
      .then(() => next())
      .catch((error: unknown) => {
        if (!(error instanceof ProblemError)) return next(error);
        onProblem(req, res, error);
      });
  };

  async function check(guard: Guard, limit: PersonLimit, req: Request, res: Response): Promise<void> {
    const verify = () =>
      deps.authenticate ? deps.authenticate(req, res) : authenticate(deps.verifier, req.get('authorization'));
    const identity = limits ? await limits.authenticate(req.ip ?? '', limit, verify) : await verify();
    res.locals.identity = identity;
    if (guard.kind !== 'actions') return;
    const accreditation = await deps.store.accreditations.get(identity.partnerId, identity.userId);
    if (!isActive(accreditation, identity, deps.clock())) {
      throw problems.forbidden('Your accreditation does not allow this action.');
    }
    if (!rolesAllow(accreditation, guard.actions, deps.bundle().enforcer)) {
      throw problems.forbidden('Your role does not allow this action.');
    }
    res.locals.accreditation = accreditation;
  }
}
