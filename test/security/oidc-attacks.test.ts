/**
 * Issue 19 under attack: holes found in the OpenID Connect relying party and the verifier behind it,
 * each shown by a test that failed before its fix.
 * 1. A sign-in client whose id is the gateway's audience made the provider's ID tokens API tokens
 *    (they reach browser history and the provider's logs through the sign-out URL's id_token_hint).
 * 2. A session signed out on one gateway instance stayed usable on another that had it in memory.
 * 3. An https issuer's discovery document could send the key fetch over http to the gateway's own
 *    loopback services (blind requests, and /readyz says whether they answered).
 */
import type { Request } from 'express';
import { createTokenVerifier, type VerifierOptions } from '../../src/auth/verifier';
import { SessionStore } from '../../src/portal/session';
import type { Identity } from '../../src/auth/identity';
import type { IssuerConfig, Partner } from '../../src/policy/types';
import type { PortalSessionStore, StoredPortalSession } from '../../src/store/port';
import { generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_AUDIENCE, startProvider, tokensFor, type TestProvider } from '../oidc/provider';

const partnerWith = (issuer: IssuerConfig): Partner =>
  ({
    id: 'police-nl',
    name: 'Politie',
    sector: 'public',
    country: 'NL',
    issuers: [issuer],
    networks: [],
  }) as Partner;

const optionsFor = (issuer: IssuerConfig): VerifierOptions => ({
  partners: new Map([['police-nl', partnerWith(issuer)]]),
  bundleDir: __dirname,
  audience: DEFAULT_AUDIENCE,
  clockSkewSeconds: 30,
  acceptDemoIssuers: false,
  cache: { maxEntries: 0 },
});

describe('a sign-in client named like the gateway (hole 1)', () => {
  let provider: TestProvider;

  beforeAll(async () => {
    // A partner that registered the gateway at its provider under the gateway's own audience.
    provider = await startProvider({
      clients: [{ client_id: DEFAULT_AUDIENCE, redirect_uris: ['http://127.0.0.1/callback'] }],
    });
  }, 20_000);

  afterAll(() => provider?.stop());

  const issuer = (extra: Partial<IssuerConfig> = {}): IssuerConfig => ({
    iss: provider.issuer,
    jwksUri: provider.jwksUri,
    algorithms: ['ES256'],
    signIn: { clientId: DEFAULT_AUDIENCE },
    assurance: { mfaAmr: [['pwd', 'otp']] },
    ...extra,
  });

  it('is refused at load when nothing tells its ID tokens from its API tokens', () => {
    // Before the fix the verifier loaded, and the provider's ID tokens (aud: the gateway) were API tokens.
    expect(() => createTokenVerifier(optionsFor(issuer()))).toThrow(/accessTokenType/);
  });

  it('with accessTokenType pinned, its ID token is no API token, even once cached as an ID token', async () => {
    const verifier = createTokenVerifier({
      ...optionsFor(issuer({ accessTokenType: 'at+jwt' })),
      cache: { maxEntries: 10, maxTtlSeconds: 60 },
    });
    const tokens = await tokensFor(provider, undefined, { login: 'anna', otp: true });
    await expect(
      verifier.verify(tokens.id_token, { kind: 'id', clientId: DEFAULT_AUDIENCE }),
    ).resolves.toMatchObject({ userId: 'anna' });
    await expect(verifier.verify(tokens.id_token)).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(tokens.access_token)).resolves.toMatchObject({ userId: 'anna' });
  }, 20_000);
});

/** One store shared by the gateway's instances, as the portal_sessions table is. */
function sharedStore(): PortalSessionStore {
  const rows = new Map<string, StoredPortalSession>();
  const key = (idHash: Buffer) => idHash.toString('hex');
  return {
    put: async (s) => void rows.set(key(s.idHash), s),
    get: async (idHash) => rows.get(key(idHash)),
    touch: async (idHash, lastSeen) => {
      const row = rows.get(key(idHash));
      if (row) row.lastSeen = Math.max(row.lastSeen, lastSeen);
    },
    delete: async (idHash) => void rows.delete(key(idHash)),
    prune: async () => 0,
  };
}

const withCookie = (id: string) => ({ get: () => `fsg_portal=${id}` }) as unknown as Request;

describe('signing out on one gateway instance (hole 2)', () => {
  it('ends the session on every instance, also one that holds it in memory', async () => {
    const store = sharedStore();
    const first = new SessionStore(store);
    const second = new SessionStore(store);
    const identity = { userId: 'anna', partnerId: 'police-nl', issuer: 'x', amr: [] } as unknown as Identity;
    const session = await first.create({ identity, token: 'a.b.c', expiresAt: Date.now() + 60_000 });
    // The browser's next request reaches the second instance, which keeps the session in memory.
    expect((await second.get(withCookie(session.id)))?.identity?.userId).toBe('anna');
    // Signed out through the first instance (POST /portal/sign-out)…
    await first.destroy(session);
    expect(await first.get(withCookie(session.id))).toBeUndefined();
    // …the stolen or left-open cookie must not work on the second one either.
    expect(await second.get(withCookie(session.id))).toBeUndefined();
  });
});

describe("a discovery document sending the key fetch to the gateway's own machine (hole 3)", () => {
  const ISS = 'https://idp.partner.example';

  afterEach(() => jest.restoreAllMocks());

  it('is refused: an https issuer’s key set is never fetched over http', async () => {
    const fetched: string[] = [];
    // The partner's provider (or whoever took it over) names a service on the gateway's loopback.
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      fetched.push(url);
      if (url.endsWith('/.well-known/openid-configuration')) {
        return Response.json({ issuer: ISS, jwks_uri: 'http://127.0.0.1:6379/keys' });
      }
      return Response.json({ keys: [] });
    });
    const verifier = createTokenVerifier(optionsFor({ iss: ISS, discovery: true, algorithms: ['ES256'] }));
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(ISS)
      .setAudience(DEFAULT_AUDIENCE)
      .setSubject('anna')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 503 });
    expect(fetched).toEqual([`${ISS}/.well-known/openid-configuration`]);
    expect(verifier.issuerStatus!()).toEqual({ [ISS]: 'unreachable' });
  });
});
