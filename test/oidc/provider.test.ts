/** The test OpenID provider itself: a sign-in gives JWT access tokens for the gateway, keys rotate. */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  CookieJar,
  discoveryOf,
  signInHeadless,
  signOutHeadless,
  startProvider,
  tokensFor,
  type TestProvider,
} from './provider';

let provider: TestProvider;

beforeAll(async () => {
  provider = await startProvider({ alg: 'ES256', audience: 'five-safes-gateway' });
});
afterAll(() => provider?.stop());

it('publishes its discovery document, with the end-session endpoint', async () => {
  const discovery = await discoveryOf(provider);
  expect(discovery.issuer).toBe(provider.issuer);
  expect(discovery.jwks_uri).toBe(provider.jwksUri);
  expect(discovery.end_session_endpoint).toBe(`${provider.issuer}/session/end`);
});

it('signs a user in with one form: an at+jwt access token for the gateway and an ID token for the client', async () => {
  const { access_token, id_token } = await tokensFor(provider, undefined, { login: 'alice', otp: true });
  expect(decodeProtectedHeader(access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
  expect(decodeJwt(access_token)).toMatchObject({
    iss: provider.issuer,
    aud: 'five-safes-gateway',
    sub: 'alice',
    amr: ['pwd', 'otp'],
  });
  expect(decodeJwt(id_token)).toMatchObject({
    aud: 'headless-test-client',
    sub: 'alice',
    amr: ['pwd', 'otp'],
  });
  const other = await tokensFor(
    provider,
    undefined,
    { login: 'bob' },
    { resource: 'https://other.example/' },
  );
  expect(decodeJwt(other.access_token)).toMatchObject({
    aud: 'https://other.example/',
    sub: 'bob',
    amr: ['pwd'],
  });
});

it('rotates its keys, counts JWKS fetches, and comes back on the same port after a stop', async () => {
  const [old] = provider.keys();
  const before = await provider.jwksFetches();
  const kids = await provider.rotate();
  expect(kids).toHaveLength(2);
  expect(kids[1]).toBe(old.kid);
  const jwks = (await (await fetch(provider.jwksUri)).json()) as { keys: Array<{ kid: string; d?: string }> };
  expect(jwks.keys.map((k) => k.kid)).toEqual(kids);
  expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  expect(await provider.jwksFetches()).toBe(before + 1);
  const { access_token } = await tokensFor(provider, undefined, { login: 'carol' });
  expect(decodeProtectedHeader(access_token).kid).toBe(kids[0]);
  expect(await provider.rotate({ remove: old.kid })).toEqual([kids[0]]);

  await provider.stop();
  await expect(fetch(provider.jwksUri)).rejects.toThrow();
  await provider.restart();
  expect((await discoveryOf(provider)).issuer).toBe(provider.issuer);
});

it('signs a confidential client in and out (RP-initiated logout back to the client)', async () => {
  const portal = {
    client_id: 'portal',
    client_secret: 'portal-secret',
    redirect_uris: ['http://127.0.0.1:9/portal/oidc/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:9/portal/signed-out'],
  };
  const confidential = await startProvider({ alg: 'RS256', clients: [portal] });
  try {
    const { id_token } = await tokensFor(confidential, portal, { login: 'dave' });
    expect(decodeProtectedHeader(id_token).alg).toBe('RS256');
    const jar = new CookieJar();
    const discovery = await discoveryOf(confidential);
    const authorize = new URL(discovery.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: 'portal',
      response_type: 'code',
      redirect_uri: portal.redirect_uris[0],
      scope: 'openid',
      state: 's1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const back = new URL(await signInHeadless(authorize.href, { login: 'dave' }, jar));
    expect(back.searchParams.get('state')).toBe('s1');
    const end = new URL(discovery.end_session_endpoint!);
    end.search = new URLSearchParams({
      id_token_hint: id_token,
      post_logout_redirect_uri: portal.post_logout_redirect_uris[0],
      state: 'bye',
    }).toString();
    const out = new URL(await signOutHeadless(end.href, jar));
    expect(`${out.origin}${out.pathname}`).toBe(portal.post_logout_redirect_uris[0]);
    expect(out.searchParams.get('state')).toBe('bye');
  } finally {
    await confidential.stop();
  }
});
