/**
 * Issue 19, item 3: the portal signs people in through their partner's own identity provider (a real
 * OpenID provider, test/oidc), with the authorization code flow, PKCE, state and nonce; the ID token is
 * verified as an API token is and the same people safe applies; sign-out ends the session at both ends;
 * a session ends when its token expires. Every way of cheating the flow is refused, each its own test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createTestGateway, type TestGateway } from '../helpers/gateway';
import { csrfOf } from '../helpers/portal-session';
import {
  CookieJar,
  signInHeadless,
  signOutHeadless,
  startProvider,
  tokensFor,
  type ProviderClient,
  type TestProvider,
} from '../oidc/provider';
import { bundleWithIssuers } from '../oidc/bundle';

/** The portal's public origin: the provider checks the redirect URI as a string, supertest does the rest. */
const PORTAL = 'http://portal.test';
const SECRET_ENV = 'FSG_TEST_POLICE_NL_CLIENT_SECRET';

const portalClient = (clientId: string, secret?: string): ProviderClient => ({
  client_id: clientId,
  ...(secret ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' as const } : {}),
  redirect_uris: [`${PORTAL}/portal/oidc/callback`],
  post_logout_redirect_uris: [`${PORTAL}/portal/sign-in`],
});

/** The gateway's answer's cookie named `name` ("name=value"), if it set one. */
function cookieOf(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const lines = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  const cookies = lines.map((l) => l.split(';')[0]).filter((c) => c.startsWith(`${name}=`));
  // One answer sets each cookie at most once: a second would leave the browser with whichever came last.
  expect(cookies.length).toBeLessThanOrEqual(1);
  return cookies.find((c) => c.length > name.length + 1);
}

/** The path and query of a URL on the portal's public origin, for supertest. */
const onPortal = (url: string) => {
  const u = new URL(url);
  expect(u.origin).toBe(PORTAL);
  return `${u.pathname}${u.search}`;
};

describe('portal sign-in with a partner identity provider (OpenID Connect)', () => {
  let police: TestProvider;
  let boats: TestProvider;
  let gw: TestGateway;
  let policies: string;

  beforeAll(async () => {
    // Two partners' providers: police-nl's with a confidential client, boatreg-nl's with a public one
    // and ID tokens that live 3 s (its sessions end with them).
    [police, boats] = await Promise.all([
      startProvider({ clients: [portalClient('fsg-portal', 'police-secret')] }),
      startProvider({ alg: 'RS256', clients: [portalClient('fsg-boats')], idTokenTtlSeconds: 3 }),
    ]);
    process.env[SECRET_ENV] = 'police-secret';
    policies = bundleWithIssuers({
      'police-nl': {
        add: [
          {
            iss: police.issuer,
            jwksUri: police.jwksUri,
            algorithms: ['ES256'],
            signIn: { clientId: 'fsg-portal', clientSecretEnv: SECRET_ENV, label: 'Politie (test provider)' },
            assurance: { mfaAmr: [['pwd', 'otp']] },
          },
        ],
      },
      'boatreg-nl': {
        add: [
          {
            iss: boats.issuer,
            jwksUri: boats.jwksUri,
            algorithms: ['RS256'],
            signIn: { clientId: 'fsg-boats' },
            assurance: { mfaAmr: [['pwd', 'otp']], clockSkewSeconds: 0 },
          },
        ],
      },
      // police-se's provider is down (nothing listens on the discard port).
      'police-se': {
        add: [
          {
            iss: 'http://127.0.0.1:9/idp',
            jwksUri: 'http://127.0.0.1:9/idp/jwks',
            algorithms: ['ES256'],
            signIn: { clientId: 'fsg-portal' },
          },
        ],
      },
    });
    gw = await createTestGateway({ FSG_POLICY_DIR: policies, FSG_PUBLIC_URL: PORTAL });
  }, 30_000);

  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await gw?.close();
    await Promise.all([police?.stop(), boats?.stop()]);
    if (policies) fs.rmSync(path.dirname(policies), { recursive: true, force: true });
  });

  /** Starts a sign-in for `partnerId`: the provider's authorization URL and the pending sign-in's cookie. */
  async function start(partnerId: string): Promise<{ authorize: string; pending: string }> {
    const res = await gw.http.get(`/portal/sign-in/oidc/${partnerId}`);
    expect(res.status).toBe(303);
    const pending = cookieOf(res, 'fsg_sign_in');
    expect(pending).toBeDefined();
    return { authorize: res.headers.location as string, pending: pending! };
  }

  /** The whole sign-in for `login` at `partnerId`'s provider: the portal session's cookie. */
  async function signIn(partnerId: string, login: string, jar = new CookieJar()) {
    const { authorize, pending } = await start(partnerId);
    const back = await signInHeadless(authorize, { login, otp: true }, jar);
    const res = await gw.http.get(onPortal(back)).set('Cookie', pending);
    return { res, session: cookieOf(res, 'fsg_portal'), back, pending, jar };
  }

  it('offers each partner with a sign-in client on the sign-in page, beside the other ways in', async () => {
    const page = await gw.http.get('/portal/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/portal/sign-in/oidc/police-nl"');
    expect(page.text).toContain('Politie (test provider)');
    expect(page.text).toContain('href="/portal/sign-in/oidc/boatreg-nl"');
    expect(page.text).toContain('Sign in with Nederlands Bootregister');
    expect(page.text).not.toContain('/portal/sign-in/oidc/insureco');
    expect(page.text).toContain('name="token"'); // the pasted token stays, as configured
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce, and a one-use, Lax cookie', async () => {
    const res = await gw.http.get('/portal/sign-in/oidc/police-nl');
    expect(res.status).toBe(303);
    const url = new URL(res.headers.location as string);
    expect(url.origin).toBe(new URL(police.issuer).origin);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe('fsg-portal');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(`${PORTAL}/portal/oidc/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('scope')?.split(' ')).toContain('openid');
    const line = (res.headers['set-cookie'] as unknown as string[]).find((l) =>
      l.startsWith('fsg_sign_in='),
    )!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\/portal\/oidc/);
    // Nothing of the flow's secrets is in the cookie: it is a random id.
    expect(line.split(';')[0]).toMatch(/^fsg_sign_in=[A-Za-z0-9_-]{43}$/);
    expect(line).not.toContain(q.get('state')!);
  });

  it('signs an accredited user in; the same people safe applies, as (partner, sub)', async () => {
    const { res, session } = await signIn('police-nl', 'anna');
    // A page that moves on by itself, not a redirect (the session cookie is SameSite=Strict).
    expect(res.status).toBe(200);
    expect(res.text).toContain('<meta http-equiv="refresh" content="0; url=/portal/" />');
    expect(session).toBeDefined();
    const home = await gw.http.get('/portal/').set('Cookie', session!).set('Accept', 'text/html');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Anna de Vries');
    expect(home.text).toContain('/portal/lookup');
    // The analyst's pages work with the session: the API's guard verified the session's ID token.
    const lookup = await gw.http.get('/portal/lookup').set('Cookie', session!).set('Accept', 'text/html');
    expect(lookup.status).toBe(200);
  });

  it("refuses the tasks of a user the partner has not accredited (a sub of another partner's user)", async () => {
    // iris is a responder of insureco: signed in at police-nl's provider she is (police-nl, iris).
    const { res, session } = await signIn('police-nl', 'iris');
    expect(res.status).toBe(200);
    const home = await gw.http.get('/portal/').set('Cookie', session!).set('Accept', 'text/html');
    expect(home.text).toContain('Your accreditation does not allow any task today.');
    const inbox = await gw.http.get('/portal/inbox').set('Cookie', session!).set('Accept', 'text/html');
    expect(inbox.status).toBe(403);
  });

  it("never lets the session's ID token stand in for an API token", async () => {
    const tokens = await tokensFor(police, undefined, { login: 'anna', otp: true });
    const api = await gw.http.get('/api/v1/requests').set('Authorization', `Bearer ${tokens.id_token}`);
    expect(api.status).toBe(401);
    // …nor a pasted ID token for a portal session (it is checked as an API token there).
    const form = await gw.http.get('/portal/sign-in');
    const anon = cookieOf(form, 'fsg_portal')!;
    const pasted = await gw.http
      .post('/portal/sign-in')
      .set('Cookie', anon)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: tokens.id_token });
    expect(pasted.status).toBe(401);
  });

  it('refuses a replayed answer: the pending sign-in is taken once', async () => {
    const { res, back, pending } = await signIn('police-nl', 'anna');
    expect(res.status).toBe(200);
    const again = await gw.http.get(onPortal(back)).set('Cookie', pending);
    expect(again.status).toBe(400);
    expect(again.text).toContain('expired or was already used');
    expect(cookieOf(again, 'fsg_portal')).toBeDefined(); // only the anonymous session for the form
    const home = await gw.http
      .get('/portal/')
      .set('Cookie', cookieOf(again, 'fsg_portal')!)
      .set('Accept', 'text/html');
    expect(home.status).toBe(303);
  });

  it('refuses a replayed authorization code in a new sign-in of the same browser', async () => {
    const first = await signIn('police-nl', 'anna');
    expect(first.res.status).toBe(200);
    const code = new URL(first.back).searchParams.get('code')!;
    const { authorize, pending } = await start('police-nl');
    const state = new URL(authorize).searchParams.get('state')!;
    const replay = await gw.http
      .get(
        `/portal/oidc/callback?code=${encodeURIComponent(code)}&state=${state}&iss=${encodeURIComponent(police.issuer)}`,
      )
      .set('Cookie', pending);
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('invalid_grant');
    expect(cookieOf(replay, 'fsg_portal')).not.toBe(first.session);
  });

  it('refuses an answer whose state is not the pending sign-in’s', async () => {
    const { authorize, pending } = await start('police-nl');
    const back = new URL(await signInHeadless(authorize, { login: 'anna', otp: true }));
    back.searchParams.set('state', 'x'.repeat(43));
    const res = await gw.http.get(onPortal(back.href)).set('Cookie', pending);
    expect(res.status).toBe(401);
    expect(res.text).toContain('could not be verified');
  });

  it('refuses an ID token whose nonce is not the pending sign-in’s', async () => {
    const { authorize, pending } = await start('police-nl');
    const forged = new URL(authorize);
    forged.searchParams.set('nonce', 'n'.repeat(43));
    const back = await signInHeadless(forged.href, { login: 'anna', otp: true });
    const res = await gw.http.get(onPortal(back)).set('Cookie', pending);
    expect(res.status).toBe(401);
    expect(cookieOf(res, 'fsg_portal')).toBeDefined();
    const home = await gw.http
      .get('/portal/')
      .set('Cookie', cookieOf(res, 'fsg_portal')!)
      .set('Accept', 'text/html');
    expect(home.status).toBe(303);
  });

  it("refuses an answer for another partner's pending sign-in (the code of boatreg-nl's provider)", async () => {
    const { pending } = await start('police-nl');
    const { authorize } = await start('boatreg-nl');
    const back = new URL(await signInHeadless(authorize, { login: 'bram', otp: true }));
    const res = await gw.http.get(onPortal(back.href)).set('Cookie', pending);
    expect(res.status).toBe(401);
  });

  it('refuses an answer without its pending sign-in (another browser), and a provider error', async () => {
    const { authorize } = await start('police-nl');
    const back = await signInHeadless(authorize, { login: 'anna', otp: true });
    expect((await gw.http.get(onPortal(back))).status).toBe(400);
    const { pending } = await start('police-nl');
    const denied = await gw.http
      .get('/portal/oidc/callback?error=access_denied&state=abc')
      .set('Cookie', pending);
    expect(denied.status).toBe(401);
  });

  it('answers an organisation without a sign-in client with 404, and one whose provider is down with 503', async () => {
    expect((await gw.http.get('/portal/sign-in/oidc/insureco')).status).toBe(404);
    expect((await gw.http.get('/portal/sign-in/oidc/nobody')).status).toBe(404);
    const down = await gw.http.get('/portal/sign-in/oidc/police-se');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('30');
    expect(down.text).toContain('cannot be reached now');
  });

  it('signs out at both ends: the portal session is gone, and so is the provider’s', async () => {
    const jar = new CookieJar();
    const { session } = await signIn('police-nl', 'anna', jar);
    const home = await gw.http.get('/portal/').set('Cookie', session!).set('Accept', 'text/html');
    // The sign-out form may go on to the provider's sign-out page, and nowhere else.
    expect(home.headers['content-security-policy']).toContain(
      `form-action 'self' ${new URL(police.issuer).origin};`,
    );
    const out = await gw.http
      .post('/portal/sign-out')
      .set('Cookie', session!)
      .type('form')
      .send({ _csrf: csrfOf(home.text) });
    expect(out.status).toBe(303);
    const endSession = new URL(out.headers.location as string);
    expect(endSession.origin).toBe(new URL(police.issuer).origin);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${PORTAL}/portal/sign-in`);
    // The portal's end: the session is gone at once.
    const after = await gw.http.get('/portal/').set('Cookie', session!).set('Accept', 'text/html');
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/portal/sign-in');
    // The provider's end: it confirms, sends the browser back, and asks for a login next time.
    expect(await signOutHeadless(endSession.href, jar)).toBe(`${PORTAL}/portal/sign-in`);
    const { authorize } = await start('police-nl');
    const silent = new URL(authorize);
    silent.searchParams.set('prompt', 'none');
    const answer = new URL(await signInHeadless(silent.href, { login: 'anna', otp: true }, jar));
    expect(answer.searchParams.get('error')).toBe('login_required');
  });

  it('ends a session when its ID token expires', async () => {
    const { res, session } = await signIn('boatreg-nl', 'bram');
    expect(res.status).toBe(200);
    const inbox = await gw.http.get('/portal/inbox').set('Cookie', session!).set('Accept', 'text/html');
    expect(inbox.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const later = await gw.http.get('/portal/inbox').set('Cookie', session!).set('Accept', 'text/html');
    expect(later.status).toBe(303);
    expect(later.headers.location).toBe('/portal/sign-in');
  });
});
