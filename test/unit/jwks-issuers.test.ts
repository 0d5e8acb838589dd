/**
 * Issue 19, item 1 (first slice): an issuer whose keys come from a JWKS URI, with its algorithms pinned
 * in the bundle. Its keys are fetched and cached: a token with an unknown `kid` triggers a refresh (at
 * most one per cooldown however many arrive), a key added to the set is accepted without a restart, a
 * key removed stops working once the cached set is stale; an algorithm not pinned is refused whatever
 * the set holds; an issuer that cannot be reached is a clear 503 for its tokens alone.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createTokenVerifier, type TokenVerifier } from '../../src/auth/verifier';
import type { IssuerConfig, Partner } from '../../src/policy/types';

const AUD = 'five-safes-gateway';
/** Long enough that a loaded CI machine cannot fit two refreshes into one test's burst. */
const COOLDOWN = 1000;
const MAX_AGE = 2000;

interface Key {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function newKey(kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function partner(id: string, issuer: IssuerConfig): Partner {
  return {
    id,
    name: id,
    sector: 'public',
    country: 'NL',
    issuers: [issuer],
    networks: [],
  } as unknown as Partner;
}

/** A verifier's options for issuers whose keys are fetched: short cooldown and cache, no token cache. */
const FETCHED = {
  bundleDir: __dirname,
  audience: AUD,
  clockSkewSeconds: 30,
  acceptDemoIssuers: false,
  cache: { maxEntries: 0 },
  jwks: { cooldownMs: COOLDOWN, cacheMaxAgeMs: MAX_AGE, timeoutMs: 1000 },
};

const sign = (key: Key, iss: string, sub = 'anna', alg = 'ES256') => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ amr: ['mfa'] })
    .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(iss)
    .setAudience(AUD)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key.privateKey);
};

describe('issuers whose keys come from a JWKS URI', () => {
  let server: http.Server;
  let url: string;
  let served: JWK[] = [];
  let fetches = 0;
  let k1: Key;
  let k2: Key;
  let verifier: TokenVerifier;
  const ISS = 'https://idp.police-nl.example';

  beforeAll(async () => {
    k1 = await newKey('k1');
    k2 = await newKey('k2');
    served = [k1.jwk];
    server = http.createServer((_req, res) => {
      fetches++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    verifier = createTokenVerifier({
      partners: new Map([
        ['police-nl', partner('police-nl', { iss: ISS, algorithms: ['ES256'], jwksUri: url })],
        // An issuer whose key set cannot be fetched (nothing listens there).
        [
          'police-se',
          partner('police-se', {
            iss: 'https://idp.police-se.example',
            algorithms: ['ES256'],
            jwksUri: 'http://127.0.0.1:9/jwks',
          }),
        ],
      ]),
      ...FETCHED,
    });
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('accepts a token signed with a key of the set, bound to the issuer’s partner', async () => {
    const identity = await verifier.verify(await sign(k1, ISS));
    expect(identity).toMatchObject({ userId: 'anna', partnerId: 'police-nl', issuer: ISS });
  });

  it('picks up a key added to the set without a restart (an unknown kid refreshes it)', async () => {
    await wait(COOLDOWN + 100); // past the cooldown of the first fetch
    served = [k1.jwk, k2.jwk];
    expect((await verifier.verify(await sign(k2, ISS))).userId).toBe('anna');
  });

  it('a storm of unknown kids causes at most one refresh per cooldown', async () => {
    await wait(COOLDOWN + 100);
    const before = fetches;
    const strangers = await Promise.all(Array.from({ length: 20 }, (_, i) => newKey(`stranger-${i}`)));
    const outcomes = await Promise.allSettled(
      strangers.map(async (k) => verifier.verify(await sign(k, ISS))),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ status: 401 });
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  it('a key removed from the set stops working once the cached set is stale', async () => {
    served = [k2.jwk];
    await wait(MAX_AGE + 100); // past cacheMaxAge and the cooldown
    await expect(verifier.verify(await sign(k1, ISS))).rejects.toMatchObject({ status: 401 });
    expect((await verifier.verify(await sign(k2, ISS))).userId).toBe('anna');
  });

  it('refuses an algorithm the bundle does not pin, whatever the set holds', async () => {
    const rsa = await newKey('rsa-1', 'RS256');
    served = [k2.jwk, rsa.jwk];
    await wait(COOLDOWN + 100);
    await expect(verifier.verify(await sign(rsa, ISS, 'anna', 'RS256'))).rejects.toMatchObject({
      status: 401,
    });
  });

  it('an issuer that cannot be reached: its tokens get a clear 503, the others still work', async () => {
    const error = await verifier
      .verify(await sign(k1, 'https://idp.police-se.example'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, retryAfter: expect.any(Number) });
    expect((error as Error & { detail?: string }).detail).toMatch(/issuer's keys cannot be fetched/);
    expect((await verifier.verify(await sign(k2, ISS))).partnerId).toBe('police-nl');
  });

  it('refuses at load an issuer with a key set and no pinned algorithms, or with both a key and a set', () => {
    const load = (issuer: object) =>
      createTokenVerifier({
        partners: new Map([['p', partner('p', { iss: 'https://x.example', ...issuer } as IssuerConfig)]]),
        bundleDir: __dirname,
        audience: AUD,
        clockSkewSeconds: 30,
        acceptDemoIssuers: false,
      });
    expect(() => load({ jwksUri: 'https://x.example/jwks' })).toThrow(/algorithms/);
    expect(() => load({ jwksUri: 'https://x.example/jwks', algorithms: [] })).toThrow(/algorithms/);
    expect(() =>
      load({
        jwksUri: 'https://x.example/jwks',
        algorithms: ['ES256'],
        publicKey: 'k.pem',
        algorithm: 'ES256',
      }),
    ).toThrow(/either/);
    // Keys over plain HTTP only from this machine.
    expect(() => load({ jwksUri: 'http://idp.example/jwks', algorithms: ['ES256'] })).toThrow(/https/);
    // A sign-in client named like the gateway's audience: its ID tokens would pass for API tokens,
    // unless the issuer marks its access tokens (accessTokenType) so that the two can be told apart.
    const keys = { jwksUri: 'https://x.example/jwks', algorithms: ['ES256'] };
    expect(() => load({ ...keys, signIn: { clientId: AUD } })).toThrow(/audience/);
    expect(() => load({ ...keys, signIn: { clientId: AUD }, accessTokenType: 'at+jwt' })).not.toThrow();
    expect(() => load({ ...keys, signIn: { clientId: 'fsg-portal' } })).not.toThrow();
  });
});

/**
 * Issue 19: an issuer whose key set is found through its OpenID Connect discovery document. The
 * document is fetched in the background when the verifier is made, never blocking it; its `issuer` must
 * be the very `iss`; while it cannot be had, the issuer's tokens get the 503 of an unreachable key set
 * and it is asked again at most once per cooldown however many tokens arrive.
 */
describe('issuers whose key set is found through discovery', () => {
  let server: http.Server;
  let origin: string;
  let key: Key;
  let documentIssuer: (origin: string) => string;
  let up = true;
  const hits = { document: 0, jwks: 0 };
  let requests = 0;

  beforeAll(async () => {
    key = await newKey('d1');
    server = http.createServer((req, res) => {
      requests++;
      if (!up) {
        res.statusCode = 500;
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        hits.document++;
        res.end(JSON.stringify({ issuer: documentIssuer(origin), jwks_uri: `${origin}/keys` }));
      } else if (req.url === '/huge/.well-known/openid-configuration') {
        // A document far beyond any real one, sent without a length: it is not read whole into memory.
        res.write(`{"issuer":"${origin}/huge","jwks_uri":"${origin}/keys","pad":"`);
        res.end(`${'x'.repeat(2 ** 20)}"}`);
      } else if (req.url === '/keys') {
        hits.jwks++;
        res.end(JSON.stringify({ keys: [key.jwk] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    up = true;
    documentIssuer = (o) => o;
    hits.document = 0;
    hits.jwks = 0;
    requests = 0;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const make = (issuer: Partial<IssuerConfig> = {}) =>
    createTokenVerifier({
      partners: new Map([
        [
          'police-nl',
          partner('police-nl', { iss: origin, discovery: true, algorithms: ['ES256'], ...issuer }),
        ],
      ]),
      ...FETCHED,
    });

  it('fetches the document and the key set in the background when made, and accepts the issuer’s tokens', async () => {
    const verifier = make();
    expect(verifier.issuerStatus!()).toEqual({ [origin]: 'pending' });
    const identity = await verifier.verify(await sign(key, origin));
    expect(identity).toMatchObject({ userId: 'anna', partnerId: 'police-nl', issuer: origin });
    expect(hits).toEqual({ document: 1, jwks: 1 });
    expect(verifier.issuerStatus!()).toEqual({ [origin]: 'ok' });
  });

  it('refuses a document for another issuer: 503, and the key set it names is never fetched', async () => {
    documentIssuer = (o) => `${o}/`; // one character off is another issuer
    const verifier = make();
    const error = await verifier.verify(await sign(key, origin)).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, retryAfter: expect.any(Number) });
    expect(hits.jwks).toBe(0);
    expect(verifier.issuerStatus!()).toEqual({ [origin]: 'unreachable' });
  });

  it('a document that cannot be had: 503, asked again at most once per cooldown, then works when it is back', async () => {
    up = false;
    const madeAt = Date.now();
    const verifier = make();
    const first = await verifier.verify(await sign(key, origin)).catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 503 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => sign(key, origin)));
    const outcomes = await Promise.allSettled(tokens.map((t) => verifier.verify(t)));
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ status: 503 });
    // The probe asks too, but no more often.
    for (let i = 0; i < 10; i++) expect(verifier.issuerStatus!()).toEqual({ [origin]: 'unreachable' });
    // One attempt when made, then at most one per cooldown (a loaded machine may take longer than one).
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(requests).toBeLessThanOrEqual(1 + Math.floor((Date.now() - madeAt) / COOLDOWN));
    up = true;
    await wait(COOLDOWN + 100);
    expect((await verifier.verify(await sign(key, origin))).userId).toBe('anna');
    expect(hits.document).toBe(1);
    expect(verifier.issuerStatus!()).toEqual({ [origin]: 'ok' });
  });

  it('refuses a document larger than any real one as if it could not be had: 503', async () => {
    const verifier = make({ iss: `${origin}/huge` });
    const first = await verifier.verify(await sign(key, `${origin}/huge`)).catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 503 });
    expect(verifier.issuerStatus!()).toEqual({ [`${origin}/huge`]: 'unreachable' });
    expect(hits.jwks).toBe(0);
  });

  it('refuses at load discovery with a jwksUri or a static key, without algorithms, or over http elsewhere', () => {
    expect(() => make({ jwksUri: `${origin}/keys` })).toThrow(/not both/);
    expect(() => make({ publicKey: 'k.pem', algorithm: 'ES256', algorithms: undefined })).toThrow(/either/);
    expect(() => make({ publicKey: 'k.pem', algorithm: 'ES256' })).toThrow(/either/);
    expect(() => make({ algorithms: undefined })).toThrow(/algorithms/);
    expect(() => make({ iss: 'http://idp.example' })).toThrow(/https/);
  });
});
