/**
 * Portal sessions: an opaque random id in an httpOnly, SameSite=Strict cookie (Secure under TLS, or always
 * when portal.secureCookie says so); the
 * verified identity, the bearer token used to call the services and the CSRF token stay server-side.
 *
 * Signed-in sessions are kept in the store too, so a restart does not sign everyone out. The store
 * holds SHA-256(id) and the contents sealed (AES-256-GCM) with a key derived from the id (HKDF): the
 * database alone gives neither a cookie that works nor a token. The anonymous session that only
 * carries the sign-in form's CSRF token lives in memory.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import type { PortalSessionStore } from '../store/port';

export const COOKIE = 'fsg_portal';
/** A session ends after this long without a request, and at the latest when its token expires. */
export const IDLE_MS = 30 * 60 * 1000;
export const ABSOLUTE_MS = 8 * 60 * 60 * 1000;
/** The stored last-seen time is moved on at most this often (a write per page would be wasteful);
 * after a restart a session may therefore idle out up to this much early. */
export const TOUCH_EVERY_MS = 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

export interface Session {
  id: string;
  csrf: string;
  /** Absent for the anonymous session that only carries the sign-in form's CSRF token. */
  identity?: Identity;
  token?: string;
  /** Present when `token` is the ID token of an OpenID Connect sign-in (else an API token pasted or a demo one). */
  signIn?: SignedInWith;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
  /** The last-seen time the store holds; absent for a session the store does not keep. */
  storedLastSeen?: number;
  flash?: string;
}

/** The identity provider a session signed in with (OpenID Connect): its token is that client's ID token. */
export interface SignedInWith {
  iss: string;
  clientId: string;
}

/** What is sealed in the store: everything a session holds that is not its timing. */
interface Sealed {
  csrf: string;
  identity: Identity;
  token: string;
  signIn?: SignedInWith;
}

export const randomId = () => crypto.randomBytes(32).toString('base64url');
export const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * What a sealed record is: a session, or a sign-in waiting for its identity provider's answer. Each has
 * its own key, so that one can never be opened as the other.
 */
export type SealPurpose = 'session' | 'pending-sign-in';

function keysOf(id: string, purpose: SealPurpose = 'session'): { idHash: Buffer; key: Buffer } {
  const ikm = Buffer.from(id, 'base64url');
  const info = purpose === 'session' ? 'seal' : `seal ${purpose}`;
  return {
    idHash: crypto.createHash('sha256').update(ikm).digest(),
    key: Buffer.from(crypto.hkdfSync('sha256', ikm, 'fsg-portal-session', info, 32)),
  };
}

/** The hash a sealed record is stored under: the id itself never reaches the store. */
export const idHashOf = (id: string): Buffer => keysOf(id).idHash;

export function seal<T = Sealed>(
  id: string,
  contents: T,
  purpose: SealPurpose = 'session',
): { idHash: Buffer; sealed: Buffer } {
  const { idHash, key } = keysOf(id, purpose);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(idHash);
  const body = Buffer.concat([cipher.update(JSON.stringify(contents), 'utf8'), cipher.final()]);
  return { idHash, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]) };
}

/** The sealed contents, or undefined when they do not open with this id's key (altered or not ours). */
export function unseal<T = Sealed>(
  id: string,
  sealed: Buffer,
  purpose: SealPurpose = 'session',
): T | undefined {
  if (sealed.length < 12 + 16 + 2) return undefined;
  const { idHash, key } = keysOf(id, purpose);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    decipher.setAAD(idHash);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const text = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
    return JSON.parse(text.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export class SessionStore {
  /** Live sessions of this process by id: a cache of the stored ones, and the anonymous ones. */
  private readonly sessions = new Map<string, Session>();
  private static readonly MAX = 10_000;
  private lastPrune = 0;

  constructor(
    private readonly backing?: PortalSessionStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    fields: Partial<Pick<Session, 'identity' | 'token' | 'expiresAt' | 'signIn'>> = {},
  ): Promise<Session> {
    await this.prune();
    const now = this.now();
    const session: Session = {
      id: randomId(),
      csrf: randomId(),
      createdAt: now,
      lastSeen: now,
      expiresAt: Math.min(fields.expiresAt ?? Infinity, now + ABSOLUTE_MS),
      ...(fields.identity ? { identity: fields.identity, token: fields.token } : {}),
      ...(fields.signIn ? { signIn: fields.signIn } : {}),
    };
    if (this.backing && session.identity && session.token) {
      const { idHash, sealed } = seal(session.id, {
        csrf: session.csrf,
        identity: session.identity,
        token: session.token,
        ...(session.signIn ? { signIn: session.signIn } : {}),
      });
      await this.backing.put({ idHash, sealed, createdAt: now, lastSeen: now, expiresAt: session.expiresAt });
      session.storedLastSeen = now;
    }
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session named by the request's cookie; an expired one is dropped. */
  async get(req: Request): Promise<Session | undefined> {
    const id = readCookie(req, COOKIE);
    if (!id || !ID_PATTERN.test(id)) return undefined;
    const cached = this.sessions.get(id);
    const session = cached ?? (await this.load(id));
    if (!session) return undefined;
    // The store decides whether a stored session lives: another instance may have signed it out.
    if (cached && this.backing && cached.storedLastSeen !== undefined) {
      if (!(await this.backing.get(keysOf(id).idHash))) {
        this.sessions.delete(id);
        return undefined;
      }
    }
    const now = this.now();
    if (now >= session.expiresAt || now - session.lastSeen >= IDLE_MS) {
      await this.destroy(session);
      return undefined;
    }
    session.lastSeen = now;
    if (
      this.backing &&
      session.storedLastSeen !== undefined &&
      now - session.storedLastSeen >= TOUCH_EVERY_MS
    ) {
      session.storedLastSeen = now;
      await this.backing.touch(keysOf(id).idHash, now);
    }
    return session;
  }

  async destroy(session: Session): Promise<void> {
    this.sessions.delete(session.id);
    if (this.backing && session.storedLastSeen !== undefined)
      await this.backing.delete(keysOf(session.id).idHash);
  }

  /** A signed-in session from the store (after a restart, or from another process). */
  private async load(id: string): Promise<Session | undefined> {
    if (!this.backing) return undefined;
    const row = await this.backing.get(keysOf(id).idHash);
    const contents = row && unseal(id, row.sealed);
    if (!row || !contents) return undefined;
    const session: Session = {
      id,
      csrf: contents.csrf,
      identity: contents.identity,
      token: contents.token,
      ...(contents.signIn ? { signIn: contents.signIn } : {}),
      createdAt: row.createdAt,
      lastSeen: row.lastSeen,
      expiresAt: row.expiresAt,
      storedLastSeen: row.lastSeen,
    };
    this.evictIfFull();
    this.sessions.set(id, session);
    return session;
  }

  private async prune(): Promise<void> {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (now >= s.expiresAt || now - s.lastSeen >= IDLE_MS) this.sessions.delete(id);
    }
    this.evictIfFull();
    if (this.backing && now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.backing.prune(now, IDLE_MS);
    }
  }

  /** Bounded memory: the oldest sessions leave the cache first (stored ones can be loaded again). */
  private evictIfFull(): void {
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

/**
 * When the cookie is Secure: `auto` when the request came over TLS, as express sees it (the socket, or
 * X-Forwarded-Proto only from a proxy in server.trustProxy); `always` on every answer.
 */
export type SecureCookie = 'auto' | 'always';

export function setSessionCookie(
  req: Request,
  res: Response,
  session: Session | undefined,
  secure: SecureCookie = 'auto',
): void {
  const attributes = [
    'Path=/portal',
    'HttpOnly',
    'SameSite=Strict',
    ...(secure === 'always' || req.secure ? ['Secure'] : []),
  ];
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
