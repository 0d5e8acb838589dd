/** Signs in to the portal through its sign-in form, as a browser would, without a browser. */
import path from 'node:path';
import type supertest from 'supertest';
import { readDemoUsers } from '../../src/accreditations/demo-seed';

export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)![1];

const DEMO_USERS = path.join(__dirname, '..', '..', 'config', 'demo', 'accreditations.yaml');

/** The partner of a demo user (the sign-in form names both: a person is (partner, user)). */
export function demoPartnerOf(user: string): string {
  return readDemoUsers(DEMO_USERS).find((u) => u.userId === user)?.partnerId ?? '';
}

/** The signed-in session's cookie and the CSRF token its pages carry. */
export async function portalSession(
  http: ReturnType<typeof supertest>,
  user: string,
): Promise<{ cookie: string; csrf: string }> {
  return signIn(http, user, { partner: demoPartnerOf(user), user });
}

/** A session signed in with a token pasted into the sign-in form (any verified token, accredited or not). */
export function portalTokenSession(
  http: ReturnType<typeof supertest>,
  token: string,
): Promise<{ cookie: string; csrf: string }> {
  return signIn(http, 'a token', { token });
}

async function signIn(
  http: ReturnType<typeof supertest>,
  who: string,
  fields: Record<string, string>,
): Promise<{ cookie: string; csrf: string }> {
  const form = await http.get('/portal/sign-in');
  const anon = String(form.headers['set-cookie'][0]).split(';')[0];
  const signed = await http
    .post('/portal/sign-in')
    .set('Cookie', anon)
    .type('form')
    .send({ _csrf: csrfOf(form.text), ...fields });
  if (signed.status !== 303) throw new Error(`sign-in as ${who} answered ${signed.status}`);
  const cookie = String(signed.headers['set-cookie'][0]).split(';')[0];
  const home = await http.get('/portal/').set('Cookie', cookie);
  return { cookie, csrf: csrfOf(home.text) };
}
