/**
 * Issue 19: the API with access tokens from real OpenID providers (test/oidc/provider.ts). police-nl's
 * issuer is found through discovery and marks its access tokens `at+jwt`; boatreg-nl's key set is at a
 * jwksUri. Keys rotate without a restart, a storm of unknown kids costs at most one fetch, a provider
 * down leaves the others working and /readyz naming it (ready still), and the wrong token is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { boatLookup, createTestGateway, type TestGateway } from '../helpers/gateway';
import { bundleWithIssuers } from '../oidc/bundle';
import { HEADLESS_CLIENT, signingKey, startProvider, tokensFor, type TestProvider } from '../oidc/provider';

jest.setTimeout(15_000);

const AUDIENCE = 'five-safes-gateway';
const COOLDOWN_MS = 500;
const MAX_AGE_MS = 1500;
const JWKS_ENV = {
  FSG_JWKS_TIMEOUT_MS: '1000',
  FSG_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
  FSG_JWKS_CACHE_MAX_AGE_MS: String(MAX_AGE_MS),
};
/** Tokens of police-nl's provider for the gateway that live one second. */
const SHORT_LIVED = 'urn:fsg:gateway:short';
/** A client of police-nl's provider whose ID tokens are for the gateway's audience. */
const LOOKALIKE_CLIENT = {
  client_id: AUDIENCE,
  token_endpoint_auth_method: 'none' as const,
  redirect_uris: ['http://127.0.0.1/lookalike'],
};

let police: TestProvider; // police-nl: discovery, accessTokenType at+jwt
let boats: TestProvider; // boatreg-nl: jwksUri
let stranger: TestProvider; // in no partner's bundle entry
let policyDir: string;
let gw: TestGateway;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Retries `check` until it passes or the time is up (the last failure is thrown). */
async function eventually(check: () => Promise<void>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await wait(100);
    }
  }
}

beforeAll(async () => {
  [police, boats, stranger] = await Promise.all([
    startProvider({
      alg: 'ES256',
      audience: AUDIENCE,
      clients: [HEADLESS_CLIENT, LOOKALIKE_CLIENT],
      resources: { [SHORT_LIVED]: { audience: AUDIENCE, ttl: 1 } },
    }),
    startProvider({ alg: 'RS256', audience: AUDIENCE }),
    startProvider({ alg: 'ES256', audience: AUDIENCE }),
  ]);
  policyDir = bundleWithIssuers({
    'police-nl': {
      replace: [
        {
          iss: police.issuer,
          discovery: true,
          algorithms: ['ES256'],
          accessTokenType: 'at+jwt',
          assurance: { mfaAmr: [['pwd', 'otp']], clockSkewSeconds: 0 },
        },
      ],
    },
    'boatreg-nl': {
      replace: [
        {
          iss: boats.issuer,
          jwksUri: boats.jwksUri,
          algorithms: ['RS256'],
          assurance: { mfaAmr: [['pwd', 'otp']] },
        },
      ],
    },
  });
  gw = await createTestGateway({ FSG_POLICY_DIR: policyDir, ...JWKS_ENV });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([police, boats, stranger].map((p) => p?.stop()));
  if (policyDir) fs.rmSync(path.dirname(policyDir), { recursive: true, force: true });
});

const lookup = (token: string) => gw.http.post('/api/v1/lookups').set(bearer(token)).send(boatLookup());
const inbox = (token: string, g: TestGateway = gw) => g.http.get('/api/v1/inbox').set(bearer(token));

/** anna's tokens from police-nl's provider, signed in with a one-time code, for `resource`. */
const annaAt = (resource?: string) =>
  tokensFor(police, undefined, { login: 'anna', otp: true }, resource ? { resource } : {});

/** A token as police-nl's provider would make it, but signed with a key it does not publish. */
async function forged(key: JWK): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ amr: ['pwd', 'otp'] })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(police.issuer)
    .setAudience(AUDIENCE)
    .setSubject('anna')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(await importJWK(key, 'ES256'));
}

describe('access tokens from the partners’ identity providers', () => {
  it('an accredited user of each partner calls the API with their provider’s access token', async () => {
    const anna = await annaAt();
    const annaLookup = await lookup(anna.access_token);
    expect(annaLookup.status).toBe(200);
    expect(annaLookup.body.results).toHaveLength(1);
    const bram = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    expect((await inbox(bram.access_token)).status).toBe(200);
  });

  it('a sign-in without the one-time code is not multi-factor: the lookup is refused', async () => {
    const anna = await tokensFor(police, undefined, { login: 'anna' });
    const res = await lookup(anna.access_token);
    expect(res.status).toBe(403);
  });
});

describe('key rotation at the provider', () => {
  it('takes up a new key without a restart, and refuses a removed one once the cached set is stale', async () => {
    const [old] = boats.keys();
    const beforeRotation = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    await boats.rotate({ add: true });
    await wait(COOLDOWN_MS + 100); // an unknown kid may fetch the set again
    const afterRotation = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    expect((await inbox(afterRotation.access_token)).status).toBe(200);

    await boats.rotate({ remove: old.kid });
    await wait(MAX_AGE_MS + 100);
    const refused = await inbox(beforeRotation.access_token);
    expect(refused.status).toBe(401);
    const fresh = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    expect((await inbox(fresh.access_token)).status).toBe(200);
  });

  it('a storm of tokens with unknown kids makes at most one fetch of the key set', async () => {
    const anna = await annaAt();
    expect((await lookup(anna.access_token)).status).toBe(200); // the set is in the cache
    await wait(COOLDOWN_MS + 100);
    const keys = await Promise.all(Array.from({ length: 50 }, () => signingKey('ES256')));
    const tokens = await Promise.all(keys.map(forged));
    const before = await police.jwksFetches();
    const startedAt = Date.now();
    const answers = await Promise.all(tokens.map(lookup));
    const cooldowns = 1 + Math.floor((Date.now() - startedAt) / COOLDOWN_MS); // one, unless the machine is slow
    expect(answers.map((a) => a.status)).toEqual(tokens.map(() => 401));
    expect((await police.jwksFetches()) - before).toBeLessThanOrEqual(cooldowns);
  });
});

describe('refused tokens', () => {
  it('a token of an issuer no partner names', async () => {
    const { access_token } = await tokensFor(stranger, undefined, { login: 'anna', otp: true });
    expect((await lookup(access_token)).status).toBe(401);
  });

  it('an access token for another resource', async () => {
    const { access_token } = await annaAt('https://other.example/');
    expect((await lookup(access_token)).status).toBe(401);
  });

  it('an ID token (its audience is the client)', async () => {
    const { id_token } = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    expect((await inbox(id_token)).status).toBe(401);
  });

  it('an ID token for the gateway’s own audience, where the issuer marks its access tokens', async () => {
    const { id_token } = await tokensFor(police, LOOKALIKE_CLIENT, { login: 'anna', otp: true });
    expect((await lookup(id_token)).status).toBe(401);
  });

  it('a user of another partner: police-nl’s provider cannot speak for boatreg-nl’s bram', async () => {
    const { access_token } = await tokensFor(police, undefined, { login: 'bram', otp: true });
    expect((await inbox(access_token)).status).toBe(403);
  });

  it('an expired token', async () => {
    const { access_token } = await annaAt(SHORT_LIVED);
    await wait(2100);
    const res = await lookup(access_token);
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
  });
});

describe('a provider down when the gateway starts', () => {
  it('names it in /readyz (still ready), its tokens get a 503, the others work; back, it works again', async () => {
    const bram = await tokensFor(boats, undefined, { login: 'bram', otp: true });
    const anna = await annaAt();
    await boats.stop();
    const second = await createTestGateway({ FSG_POLICY_DIR: policyDir, ...JWKS_ENV });
    try {
      const readyz = () => second.http.get('/readyz');
      await eventually(async () => {
        const ready = await readyz();
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({
          status: 'ready',
          checks: { issuers: { [boats.issuer]: 'unreachable' } },
        });
      });
      expect((await readyz()).body.checks.issuers[police.issuer]).toBeUndefined();

      const down = await inbox(bram.access_token, second);
      expect(down.status).toBe(503);
      expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
      expect(
        (await second.http.post('/api/v1/lookups').set(bearer(anna.access_token)).send(boatLookup())).status,
      ).toBe(200);

      await boats.restart();
      await eventually(async () => expect((await inbox(bram.access_token, second)).status).toBe(200));
      await eventually(async () => expect((await readyz()).body.checks.issuers).toEqual({}));
    } finally {
      await second.close();
    }
  });
});
