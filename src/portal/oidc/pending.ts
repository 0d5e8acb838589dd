/**
 * Sign-ins waiting for the identity provider's answer. The browser holds a random id in a cookie of its
 * own; the store holds the verifier, state and nonce sealed with a key derived from that id, beside the
 * portal sessions, so that any gateway instance can finish a sign-in another one started. A pending
 * sign-in is taken once: a replayed or second answer finds nothing.
 */
import type { Request, Response } from 'express';
import type { PortalSessionStore } from '../../store/port';
import { ID_PATTERN, idHashOf, randomId, readCookie, seal, unseal, type SecureCookie } from '../session';
import type { PendingSignIn } from './relying-party';

export const PENDING_COOKIE = 'fsg_sign_in';
/** How long the provider's answer is waited for: a person signing in, not a session. */
export const PENDING_MS = 10 * 60 * 1000;
/** The cookie is sent back only to the callback. */
const COOKIE_PATH = '/portal/oidc';

export class PendingSignIns {
  constructor(
    private readonly store: PortalSessionStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps `pending` and returns the id the browser's cookie carries. */
  async begin(pending: PendingSignIn): Promise<string> {
    const id = randomId();
    const now = this.now();
    const { idHash, sealed } = seal(id, pending, 'pending-sign-in');
    await this.store.put({ idHash, sealed, createdAt: now, lastSeen: now, expiresAt: now + PENDING_MS });
    return id;
  }

  /** The pending sign-in of the request's cookie, removed from the store: it can be finished once. */
  async take(req: Request): Promise<PendingSignIn | undefined> {
    const id = readCookie(req, PENDING_COOKIE);
    if (!id || !ID_PATTERN.test(id)) return undefined;
    const idHash = idHashOf(id);
    const row = await this.store.get(idHash);
    if (!row) return undefined;
    await this.store.delete(idHash);
    if (this.now() >= row.expiresAt) return undefined;
    return unseal<PendingSignIn>(id, row.sealed, 'pending-sign-in');
  }
}

/**
 * The pending sign-in's cookie. SameSite=Lax, not Strict like the session's: the provider's answer is
 * a top-level navigation from its own site, on which a Strict cookie would not be sent.
 */
export function setPendingCookie(
  req: Request,
  res: Response,
  id: string | undefined,
  secure: SecureCookie,
): void {
  const attributes = [
    `Path=${COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    id ? `Max-Age=${PENDING_MS / 1000}` : 'Max-Age=0',
    ...(secure === 'always' || req.secure ? ['Secure'] : []),
  ];
  res.append('Set-Cookie', [`${PENDING_COOKIE}=${id ?? ''}`, ...attributes].join('; '));
}
