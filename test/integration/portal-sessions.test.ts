/**
 * Portal sessions survive a restart of the gateway, are stored sealed (no token, CSRF token or cookie
 * id in the database), and end on sign-out, expiry and idleness, in the store as well as in memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import supertest from 'supertest';
import type { Request } from 'express';
import { loadConfig } from '../../src/config/load';
import { assemble, storeFile } from '../../src/gateway';
import { csrfOf, portalSession } from '../helpers/portal-session';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/port';
import { COOKIE, IDLE_MS, seal, SessionStore, TOUCH_EVERY_MS, unseal } from '../../src/portal/session';
import type { Identity } from '../../src/auth/identity';

const identity: Identity = {
  userId: 'anna',
  partnerId: 'police-nl',
  issuer: 'https://idp.police-nl.example',
  amr: ['pwd', 'otp'],
  mfa: true,
  mfaClaims: ['amr'],
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
};
const requestWith = (id: string) => ({ get: () => `other=1; ${COOKIE}=${id}` }) as unknown as Request;

describe('sealing', () => {
  it('opens only with the id it was sealed for, and not after one byte changed', () => {
    const id = 'a'.repeat(43);
    const { sealed } = seal(id, { csrf: 'c', identity, token: 'tok.en.value' });
    expect(unseal(id, sealed)).toEqual({ csrf: 'c', identity, token: 'tok.en.value' });
    expect(unseal('b'.repeat(43), sealed)).toBeUndefined();
    for (const at of [0, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at] ^= 1;
      expect(unseal(id, altered)).toBeUndefined();
    }
    expect(sealed.toString('latin1')).not.toContain('tok.en.value');
  });
});

describe('SessionStore on SQLite', () => {
  let dir: string;
  let file: string;
  let store: Store;
  let now: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-sessions-'));
    file = path.join(dir, 'gateway.db');
    store = openSqliteStore({ file });
    now = Date.now();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const sessionsOn = (s: Store) => new SessionStore(s.portalSessions, () => now);

  it('finds a signed-in session again after a restart, with the same CSRF token and identity', async () => {
    const created = await sessionsOn(store).create({
      identity,
      token: 'secret-token',
      expiresAt: now + 3_600_000,
    });
    await store.close();
    store = openSqliteStore({ file });
    const found = await sessionsOn(store).get(requestWith(created.id));
    expect(found).toMatchObject({ id: created.id, csrf: created.csrf, identity, token: 'secret-token' });
  });

  it('keeps neither the id, the token nor the CSRF token in the clear', async () => {
    const s = await sessionsOn(store).create({ identity, token: 'secret-token', expiresAt: now + 3_600_000 });
    await store.close();
    const raw = [file, `${file}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('');
    for (const secret of ['secret-token', s.csrf, s.id, 'police-nl']) expect(raw).not.toContain(secret);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM portal_sessions').get()).toEqual({ n: 1 });
    db.close();
    store = openSqliteStore({ file });
  });

  it('does not store the anonymous sign-in session', async () => {
    const anonymous = await sessionsOn(store).create();
    expect(await sessionsOn(store).get(requestWith(anonymous.id))).toBeUndefined();
  });

  it('ends a session on sign-out in the store too', async () => {
    const sessions = sessionsOn(store);
    const s = await sessions.create({ identity, token: 't', expiresAt: now + 3_600_000 });
    await sessions.destroy(s);
    expect(await sessionsOn(store).get(requestWith(s.id))).toBeUndefined();
  });

  it('ends a session at its expiry and after idling, also when loaded from the store', async () => {
    const s = await sessionsOn(store).create({ identity, token: 't', expiresAt: now + 60_000 });
    now += 60_000;
    expect(await sessionsOn(store).get(requestWith(s.id))).toBeUndefined();

    const idle = await sessionsOn(store).create({ identity, token: 't', expiresAt: now + 3_600_000 });
    now += IDLE_MS - 1;
    expect(await sessionsOn(store).get(requestWith(idle.id))).toBeDefined();
    now += IDLE_MS; // the last request moved lastSeen (stored, as more than TOUCH_EVERY_MS passed)
    expect(await sessionsOn(store).get(requestWith(idle.id))).toBeUndefined();
  });

  it('moves the stored last-seen time on, so an active session survives a restart', async () => {
    const sessions = sessionsOn(store);
    const s = await sessions.create({ identity, token: 't', expiresAt: now + 7_200_000 });
    for (let i = 0; i < 4; i++) {
      now += IDLE_MS / 2;
      expect(await sessions.get(requestWith(s.id))).toBeDefined();
    }
    expect(IDLE_MS / 2).toBeGreaterThan(TOUCH_EVERY_MS);
    now += 1000;
    expect(await sessionsOn(store).get(requestWith(s.id))).toBeDefined();
  });

  it('refuses a malformed cookie without touching the store', async () => {
    expect(await sessionsOn(store).get(requestWith("x' OR 1=1 --"))).toBeUndefined();
  });
});

describe('the portal across a restart', () => {
  it('keeps a signed-in user signed in when the gateway restarts on the same data folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-restart-'));
    const config = loadConfig({ FSG_DATA_DIR: dataDir, FSG_LOG_LEVEL: 'silent' });
    try {
      const first = await assemble(config);
      const http = supertest(first.app);
      const { cookie } = await portalSession(http, 'anna');
      const before = await http.get('/portal/').set('Cookie', cookie);
      expect(before.status).toBe(200);
      await first.store.close();

      const second = await assemble(config);
      expect(storeFile(config)).toContain(dataDir);
      const after = await supertest(second.app)
        .get('/portal/')
        .set('Cookie', cookie)
        .set('Accept', 'text/html');
      expect(after.status).toBe(200);
      expect(after.text).toContain('Welcome');
      const csrfAfter = csrfOf(after.text);
      expect(csrfAfter).toBe(csrfOf(before.text));

      const out = await supertest(second.app)
        .post('/portal/sign-out')
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf: csrfAfter });
      expect(out.status).toBe(303);
      const gone = await supertest(second.app)
        .get('/portal/')
        .set('Cookie', cookie)
        .set('Accept', 'text/html');
      expect([gone.status, gone.headers.location]).toEqual([303, '/portal/sign-in']);
      await second.store.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
