/**
 * Portal sessions: an opaque random id in an httpOnly, SameSite=Strict cookie (Secure under TLS); the
 * verified identity, the bearer token used to call the services and the CSRF token stay server-side.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';

export const COOKIE = 'fsg_portal';
/** A session ends after this long without a request, and at the latest when its token expires. */
export const IDLE_MS = 30 * 60 * 1000;
export const ABSOLUTE_MS = 8 * 60 * 60 * 1000;

export interface Session {
  id: string;
  csrf: string;
  /** Absent for the anonymous session that only carries the sign-in form's CSRF token. */
  identity?: Identity;
  token?: string;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
  flash?: string;
}

const randomId = () => crypto.randomBytes(32).toString('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private static readonly MAX = 10_000;

  constructor(private readonly now: () => number = Date.now) {}

  create(fields: Partial<Pick<Session, 'identity' | 'token' | 'expiresAt'>> = {}): Session {
    this.prune();
    const now = this.now();
    const session: Session = {
      id: randomId(),
      csrf: randomId(),
      createdAt: now,
      lastSeen: now,
      expiresAt: Math.min(fields.expiresAt ?? Infinity, now + ABSOLUTE_MS),
      ...(fields.identity ? { identity: fields.identity, token: fields.token } : {}),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session named by the request's cookie; an expired one is dropped. */
  get(req: Request): Session | undefined {
    const id = readCookie(req, COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (now >= session.expiresAt || now - session.lastSeen >= IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  destroy(session: Session): void {
    this.sessions.delete(session.id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (now >= s.expiresAt || now - s.lastSeen >= IDLE_MS) this.sessions.delete(id);
    }
    // Bounded memory: the oldest sessions go first.
    while (this.sessions.size >= SessionStore.MAX) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
  }
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setSessionCookie(req: Request, res: Response, session: Session | undefined): void {
  const attributes = ['Path=/portal', 'HttpOnly', 'SameSite=Strict', ...(req.secure ? ['Secure'] : [])];
  const value = session ? `${COOKIE}=${session.id}` : `${COOKIE}=; Max-Age=0`;
  res.append('Set-Cookie', [value, ...attributes].join('; '));
}

/** Constant-time comparison of the submitted CSRF token with the session's. */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
