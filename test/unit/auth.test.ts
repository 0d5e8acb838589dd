import { createHmac, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SignJWT, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { parse } from 'yaml';
import { issueDemoToken, parseTtl } from '../../src/auth/demo-tokens';
import { compileAssurance, readMfa } from '../../src/auth/assurance';
import { createTokenVerifier, type VerifierOptions } from '../../src/auth/verifier';
import { ProblemError } from '../../src/http/problem';
import type { IssuerAssurance, Partner, TokenAlgorithm } from '../../src/policy/types';

// jose as it is, with its signature checks counted (the cache and the in-flight sharing spare them).
jest.mock('jose', () => {
  const actual = jest.requireActual<typeof import('jose')>('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});
const signatureChecks = () => (jwtVerify as jest.Mock).mock.calls.length;

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE_DIR = path.join(ROOT, 'policies');
const DEMO_DIR = path.join(ROOT, 'config/demo');
const AUDIENCE = 'https://gateway.test';

const partnerList = (
  parse(readFileSync(path.join(BUNDLE_DIR, 'partners.yaml'), 'utf8')) as { partners: Partner[] }
).partners;
const PARTNERS: ReadonlyMap<string, Partner> = new Map(partnerList.map((p) => [p.id, p]));

function partner(id: string): Partner {
  const p = PARTNERS.get(id);
  if (!p) throw new Error(`no partner ${id} in partners.yaml`);
  return p;
}
const issOf = (id: string) => partner(id).issuers[0].iss;
const privateKey = (id: string) => createPrivateKey(readFileSync(path.join(DEMO_DIR, `${id}.key.pem`)));
const publicPem = (id: string) => readFileSync(path.join(DEMO_DIR, `${id}.pub.pem`), 'utf8');
const nowSec = () => Math.floor(Date.now() / 1000);

function verifier(overrides: Partial<VerifierOptions> = {}) {
  return createTokenVerifier({
    partners: PARTNERS,
    bundleDir: BUNDLE_DIR,
    audience: AUDIENCE,
    clockSkewSeconds: 60,
    acceptDemoIssuers: true,
    ...overrides,
  });
}

/** Claims of a valid police-nl token; cases override or delete from these. */
function baseClaims(id = 'police-nl'): JWTPayload {
  const now = nowSec();
  return { iss: issOf(id), aud: AUDIENCE, sub: 'user-1', iat: now, exp: now + 600 };
}

/** Signs arbitrary claims with any key and algorithm (no claim defaults added by jose). */
function sign(claims: JWTPayload, key: KeyObject, alg: string, header: Record<string, unknown> = {}) {
  return new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function rejection(token: string, opts: Partial<VerifierOptions> = {}): Promise<ProblemError> {
  try {
    await verifier(opts).verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected the token to be rejected');
}

describe('createTokenVerifier: valid tokens', () => {
  const cases: Array<[string, TokenAlgorithm]> = [
    ['police-nl', 'ES256'],
    ['police-se', 'RS256'],
    ['boatreg-nl', 'EdDSA'],
    ['autodealers-nl', 'ES256'],
    ['insureco', 'EdDSA'],
    ['gateway', 'ES256'],
  ];

  it.each(cases)('accepts a demo token from %s (%s)', async (id, alg) => {
    expect(partner(id).issuers[0].algorithm).toBe(alg);
    const token = await issueDemoToken({
      userId: `alice@${id}`,
      partner: partner(id),
      bundleDir: BUNDLE_DIR,
      audience: AUDIENCE,
      ttlSeconds: 900,
      mfa: true,
    });
    const identity = await verifier().verify(token);
    expect(identity).toEqual({
      userId: `alice@${id}`,
      partnerId: id,
      issuer: issOf(id),
      amr: ['pwd', 'otp'],
      mfa: true,
      mfaClaims: ['amr'],
      authTime: expect.any(Number),
      expiresAt: decodeJwt(token).exp,
    });
  });

  it('signs demo tokens with the issuer algorithm and all required claims', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const token = await issueDemoToken({
      userId: 'bob',
      partner: partner('police-se'),
      bundleDir: BUNDLE_DIR,
      audience: AUDIENCE,
      ttlSeconds: 60,
      mfa: false,
      now,
    });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('RS256');
    const claims = decodeJwt(token);
    const t = now.getTime() / 1000;
    expect(claims).toMatchObject({ iss: issOf('police-se'), aud: AUDIENCE, sub: 'bob', iat: t, exp: t + 60 });
    expect(claims.auth_time).toBe(t);
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.jti).toBe('string');
  });

  it('accepts a token expired 30 s ago (within the 60 s skew)', async () => {
    const token = await sign(
      { ...baseClaims(), iat: nowSec() - 600, exp: nowSec() - 30 },
      privateKey('police-nl'),
      'ES256',
    );
    await expect(verifier().verify(token)).resolves.toMatchObject({
      userId: 'user-1',
      partnerId: 'police-nl',
    });
  });

  it('takes partnerId from the issuer binding, not from a partner claim', async () => {
    const claims = {
      ...baseClaims('boatreg-nl'),
      partner: 'police-nl',
      partnerId: 'police-nl',
      org: 'police-nl',
    };
    const token = await sign(claims, privateKey('boatreg-nl'), 'EdDSA');
    const identity = await verifier().verify(token);
    expect(identity.partnerId).toBe('boatreg-nl');
  });

  it.each<[string, unknown, string[]]>([
    ['missing', undefined, []],
    ['not an array', 'mfa', []],
    ['mixed types', ['pwd', 7, null, 'hwk'], ['pwd', 'hwk']],
  ])('normalises amr when %s', async (_label, amr, expected) => {
    const token = await sign(
      { ...baseClaims(), amr, auth_time: 'yesterday' },
      privateKey('police-nl'),
      'ES256',
    );
    const identity = await verifier().verify(token);
    expect(identity.amr).toEqual(expected);
    expect(identity.authTime).toBeUndefined();
  });

  it('trusts a non-demo issuer when demo issuers are refused', async () => {
    const real: Partner = {
      ...partner('police-nl'),
      issuers: [
        {
          iss: 'https://idp.police.example',
          algorithm: 'ES256',
          publicKey: '../config/demo/police-nl.pub.pem',
        },
      ],
    };
    const v = verifier({ partners: new Map([['police-nl', real]]), acceptDemoIssuers: false });
    const token = await sign(
      { ...baseClaims(), iss: 'https://idp.police.example' },
      privateKey('police-nl'),
      'ES256',
    );
    await expect(v.verify(token)).resolves.toMatchObject({ partnerId: 'police-nl' });
  });
});

describe('createTokenVerifier: the issuer’s assurance settings', () => {
  const STRICT_ISS = 'https://idp.strict.example';
  /** police-nl's key under an issuer with the given settings (none: the strict defaults). */
  function issuerWith(assurance?: IssuerAssurance) {
    const p: Partner = {
      ...partner('police-nl'),
      issuers: [
        { iss: STRICT_ISS, algorithm: 'ES256', publicKey: '../config/demo/police-nl.pub.pem', assurance },
      ],
    };
    return verifier({ partners: new Map([['police-nl', p]]) });
  }
  const strictToken = (claims: JWTPayload) =>
    sign({ ...baseClaims(), iss: STRICT_ISS, ...claims }, privateKey('police-nl'), 'ES256');
  const seToken = (claims: JWTPayload) =>
    sign({ ...baseClaims('police-se'), ...claims }, privateKey('police-se'), 'RS256');

  it.each<[string[], boolean]>([
    [['pwd', 'otp'], false],
    [['a', 'b'], false],
    [['mfa'], true],
    [['pwd', 'mfa'], true],
  ])('an issuer that says nothing counts only an explicit mfa: %p → %p', async (amr, mfa) => {
    const identity = await issuerWith().verify(await strictToken({ amr }));
    expect(identity).toMatchObject({ mfa, mfaClaims: ['amr'] });
  });

  it('reads acr where the issuer maps it, and names the claim that decided', async () => {
    const high = 'http://eidas.europa.eu/LoA/high';
    await expect(verifier().verify(await seToken({ amr: ['pwd'], acr: high }))).resolves.toMatchObject({
      mfa: true,
      mfaClaims: ['acr'],
    });
    await expect(
      verifier().verify(await seToken({ amr: ['pwd'], acr: 'http://eidas.europa.eu/LoA/low' })),
    ).resolves.toMatchObject({ mfa: false, mfaClaims: ['amr', 'acr'] });
    await expect(verifier().verify(await seToken({ amr: ['pwd', 'otp'] }))).resolves.toMatchObject({
      mfa: true,
      mfaClaims: ['amr'],
    });
    // An issuer that maps no acr value: the claim counts for nothing.
    await expect(issuerWith().verify(await strictToken({ amr: ['pwd'], acr: high }))).resolves.toMatchObject({
      mfa: false,
      mfaClaims: ['amr'],
    });
  });

  it.each<[number, boolean]>([
    [3600, true],
    [3601, false],
  ])('holds an issuer that says nothing to an hour: lifetime %p s accepted: %p', async (lifetime, ok) => {
    const iat = nowSec() - 10;
    const result = issuerWith()
      .verify(await strictToken({ iat, exp: iat + lifetime }))
      .then(
        () => true,
        () => false,
      );
    expect(await result).toBe(ok);
  });

  it.each<[number, boolean]>([
    [600, true],
    [601, false],
  ])('holds tokens to the issuer’s maxTokenLifetimeSeconds: %p s accepted: %p', async (lifetime, ok) => {
    const iat = nowSec() - 10;
    const v = issuerWith({ maxTokenLifetimeSeconds: 600 });
    const result = v.verify(await strictToken({ iat, exp: iat + lifetime })).then(
      () => true,
      () => false,
    );
    expect(await result).toBe(ok);
  });

  // Claims made when the test runs (t: now in seconds), so that the limits are exact.
  it.each<[string, (t: number) => JWTPayload]>([
    ['iat is missing', () => ({ iat: undefined })],
    ['exp is not after iat', (t) => ({ iat: t, exp: t })],
    ['iat is not a number', (t) => ({ iat: String(t) as unknown as number })],
    ['iat is 61 s ahead', (t) => ({ iat: t + 61 })],
    ['auth_time is 61 s ahead', (t) => ({ auth_time: t + 61 })],
  ])('refuses a token whose %s, with the generic 401', async (_label, claims) => {
    const err = await rejection(await strictToken(claims(nowSec())));
    expect(err).toMatchObject({ status: 401, detail: 'The token could not be verified.' });
  });

  it('uses the issuer’s own clock skew (police-se: 30 s) instead of the gateway’s', async () => {
    const v = verifier({ clockSkewSeconds: 60 });
    const expiredBy = (s: number) => seToken({ iat: nowSec() - 600, exp: nowSec() - s });
    await expect(v.verify(await expiredBy(20))).resolves.toMatchObject({ partnerId: 'police-se' });
    await expect(v.verify(await expiredBy(31))).rejects.toMatchObject({ detail: 'The token has expired.' });
    const ahead = await seToken({ iat: nowSec() + 31 });
    await expect(v.verify(ahead)).rejects.toMatchObject({ status: 401 });
  });

  it('throws at creation, naming the issuer, when its settings are out of range', () => {
    expect(() => issuerWith({ clockSkewSeconds: 61 })).toThrow(/police-nl, issuer .*clockSkewSeconds/);
    expect(() => issuerWith({ mfaAmr: [['pwd']] })).toThrow(/police-nl, issuer .*knowledge methods/);
  });
});

describe('createTokenVerifier: rejected tokens', () => {
  const otherEcKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const p384Key = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;

  const cases: Array<[string, () => Promise<string> | string, string?]> = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(baseClaims())}.`],
    [
      'HS256 with the public key PEM as HMAC secret',
      () => {
        const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(baseClaims())}`;
        return `${input}.${createHmac('sha256', publicPem('police-nl')).update(input).digest('base64url')}`;
      },
    ],
    [
      'HS256 with the public key PEM as HMAC secret (RSA issuer)',
      () => {
        const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(baseClaims('police-se'))}`;
        return `${input}.${createHmac('sha256', publicPem('police-se')).update(input).digest('base64url')}`;
      },
    ],
    [
      'police-se key claiming police-nl iss',
      () => sign(baseClaims('police-nl'), privateKey('police-se'), 'RS256'),
    ],
    [
      'another partner’s EC key claiming police-nl iss',
      () => sign(baseClaims(), privateKey('gateway'), 'ES256'),
    ],
    ['wrong key (unknown P-256 key)', () => sign(baseClaims(), otherEcKey, 'ES256')],
    [
      'wrong alg: PS256 with the right RSA key',
      () => sign(baseClaims('police-se'), privateKey('police-se'), 'PS256'),
    ],
    ['wrong alg: ES384 for an ES256 issuer', () => sign(baseClaims(), p384Key, 'ES384')],
    [
      'wrong aud',
      () => sign({ ...baseClaims(), aud: 'https://other.test' }, privateKey('police-nl'), 'ES256'),
    ],
    ['missing aud', () => sign({ ...baseClaims(), aud: undefined }, privateKey('police-nl'), 'ES256')],
    [
      'expired 61 s ago',
      () =>
        sign({ ...baseClaims(), iat: nowSec() - 600, exp: nowSec() - 61 }, privateKey('police-nl'), 'ES256'),
      'The token has expired.',
    ],
    ['missing sub', () => sign({ ...baseClaims(), sub: undefined }, privateKey('police-nl'), 'ES256')],
    ['empty sub', () => sign({ ...baseClaims(), sub: '' }, privateKey('police-nl'), 'ES256')],
    ['missing exp', () => sign({ ...baseClaims(), exp: undefined }, privateKey('police-nl'), 'ES256')],
    [
      'not yet valid (nbf in 5 min)',
      () => sign({ ...baseClaims(), nbf: nowSec() + 300 }, privateKey('police-nl'), 'ES256'),
    ],
    [
      'unknown issuer',
      () => sign({ ...baseClaims(), iss: 'https://evil.test' }, privateKey('police-nl'), 'ES256'),
    ],
    [
      'issuer with a trailing slash',
      () => sign({ ...baseClaims(), iss: `${issOf('police-nl')}/` }, privateKey('police-nl'), 'ES256'),
    ],
    ['missing iss', () => sign({ ...baseClaims(), iss: undefined }, privateKey('police-nl'), 'ES256')],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign(baseClaims(), privateKey('police-nl'), 'ES256')).split('.');
        return `${h}.${b64({ ...baseClaims(), sub: 'admin' })}.${s}`;
      },
    ],
    ['garbage string', () => 'this is not a jwt'],
    ['empty string', () => ''],
    ['three empty parts', () => '..'],
    ['payload not JSON', () => `${b64({ alg: 'ES256' })}.${Buffer.from('nope').toString('base64url')}.sig`],
    [
      'oversized token',
      () => `${b64({ alg: 'ES256' })}.${b64({ ...baseClaims(), pad: 'x'.repeat(20_000) })}.sig`,
    ],
  ];

  it.each(cases)(
    'rejects %s with a generic 401',
    async (_label, build, detail = 'The token could not be verified.') => {
      const token = await build();
      const err = await rejection(token);
      expect(err.status).toBe(401);
      expect(err.code).toBe('unauthenticated');
      expect(err.detail).toBe(detail);
      // The problem never echoes the token or its claims.
      const rendered = JSON.stringify({ detail: err.detail, message: err.message, ext: err.extensions });
      if (token) expect(rendered).not.toContain(token);
      expect(rendered).not.toContain('user-1');
      expect(rendered).not.toContain('idp.');
    },
  );

  it('reports an expired demo token as expired', async () => {
    const token = await issueDemoToken({
      userId: 'carol',
      partner: partner('insureco'),
      bundleDir: BUNDLE_DIR,
      audience: AUDIENCE,
      ttlSeconds: 1800,
      mfa: false,
      now: new Date(Date.now() - 3600_000),
    });
    const err = await rejection(token);
    expect(err.detail).toBe('The token has expired.');
    expect(err.message).not.toContain(token);
  });

  it.each(['police-nl', 'police-se', 'boatreg-nl'])(
    'refuses %s demo tokens when acceptDemoIssuers is false',
    async (id) => {
      const token = await issueDemoToken({
        userId: 'dave',
        partner: partner(id),
        bundleDir: BUNDLE_DIR,
        audience: AUDIENCE,
        ttlSeconds: 600,
        mfa: true,
      });
      await expect(verifier().verify(token)).resolves.toBeDefined();
      const err = await rejection(token, { acceptDemoIssuers: false });
      expect(err.status).toBe(401);
      expect(err.detail).toBe('The token could not be verified.');
    },
  );
});

describe('createTokenVerifier: verified-token cache', () => {
  /** A verifier on a clock the test moves (ms since the epoch). */
  function clocked(opts: Partial<VerifierOptions> = {}) {
    const clock = { ms: Date.now() };
    return { clock, v: verifier({ now: () => clock.ms, ...opts }) };
  }
  const tokenOf = (claims: JWTPayload, id = 'police-nl') => {
    const alg = partner(id).issuers[0].algorithm!;
    return sign(claims, privateKey(id), alg);
  };

  it('serves a second use of the same token from the cache, as a copy', async () => {
    const { v } = clocked();
    const token = await tokenOf({ ...baseClaims(), amr: ['pwd', 'otp'] });
    const first = await v.verify(token);
    expect(v.cachedTokens?.()).toBe(1);
    first.amr.push('tampered');
    first.partnerId = 'boatreg-nl';
    const second = await v.verify(token);
    expect(second).toEqual({ ...first, partnerId: 'police-nl', amr: ['pwd', 'otp'] });
    expect(v.cachedTokens?.()).toBe(1);
  });

  it('refuses a cached token once it has expired (beyond the skew), as expired', async () => {
    const { clock, v } = clocked({ clockSkewSeconds: 60 });
    const exp = Math.floor(clock.ms / 1000) + 30;
    const token = await tokenOf({ ...baseClaims(), exp });
    await expect(v.verify(token)).resolves.toMatchObject({ userId: 'user-1', expiresAt: exp });
    clock.ms = (exp + 59) * 1000; // past exp, within the skew: accepted, like jose does
    await expect(v.verify(token)).resolves.toMatchObject({ userId: 'user-1' });
    clock.ms = (exp + 60) * 1000;
    const err = await v.verify(token).then(
      () => undefined,
      (e: ProblemError) => e,
    );
    expect(err?.status).toBe(401);
    expect(err?.detail).toBe('The token has expired.');
    clock.ms = (exp + 3600) * 1000;
    await expect(v.verify(token)).rejects.toMatchObject({ status: 401 });
  });

  it.each(['iat', 'nbf', 'auth_time'])(
    'checks %s again at each use: a clock set back refuses a cached token from the future',
    async (claim) => {
      const { clock, v } = clocked({ clockSkewSeconds: 60 });
      const t = Math.floor(clock.ms / 1000);
      const token = await tokenOf({ ...baseClaims(), iat: t - 10, exp: t + 600, [claim]: t + 30 });
      await expect(v.verify(token)).resolves.toMatchObject({ userId: 'user-1' });
      const before = signatureChecks();
      clock.ms -= 31_000; // the claim is now 61 s ahead
      await expect(v.verify(token)).rejects.toMatchObject({
        status: 401,
        detail: 'The token could not be verified.',
      });
      expect(signatureChecks()).toBe(before); // refused by the cache's own check
    },
  );

  it('checks a cached token’s expiry with its issuer’s skew (police-se: 30 s)', async () => {
    const { clock, v } = clocked({ clockSkewSeconds: 60 });
    const exp = Math.floor(clock.ms / 1000) + 30;
    const token = await tokenOf({ ...baseClaims('police-se'), exp }, 'police-se');
    await v.verify(token);
    clock.ms = (exp + 29) * 1000;
    await expect(v.verify(token)).resolves.toMatchObject({ partnerId: 'police-se' });
    clock.ms = (exp + 30) * 1000;
    await expect(v.verify(token)).rejects.toMatchObject({ detail: 'The token has expired.' });
  });

  it('keeps an entry no longer than maxTtlSeconds, then verifies again', async () => {
    const { clock, v } = clocked({ cache: { maxTtlSeconds: 10 } });
    const token = await tokenOf(baseClaims());
    await v.verify(token);
    expect(v.cachedTokens?.()).toBe(1);
    clock.ms += 10_000;
    await expect(v.verify(token)).resolves.toMatchObject({ userId: 'user-1' });
    expect(v.cachedTokens?.()).toBe(1); // verified afresh and stored again
  });

  it('never caches a failure: wrong issuer, wrong key, wrong audience stay refused', async () => {
    const { v } = clocked();
    const tokens = [
      await tokenOf({ ...baseClaims(), iss: 'https://evil.test' }),
      await sign(baseClaims('police-nl'), privateKey('police-se'), 'RS256'),
      await tokenOf({ ...baseClaims(), aud: 'https://other.test' }),
    ];
    for (const token of tokens) {
      for (let i = 0; i < 2; i++) await expect(v.verify(token)).rejects.toMatchObject({ status: 401 });
    }
    expect(v.cachedTokens?.()).toBe(0);
  });

  it('binds a cached token to its own partner: no other token, however alike, finds it', async () => {
    const { v } = clocked();
    const nl = await tokenOf(baseClaims('police-nl'), 'police-nl');
    const se = await tokenOf(baseClaims('police-se'), 'police-se');
    expect(await v.verify(nl)).toMatchObject({ userId: 'user-1', partnerId: 'police-nl' });
    expect(await v.verify(se)).toMatchObject({ userId: 'user-1', partnerId: 'police-se' });
    expect(await v.verify(nl)).toMatchObject({ partnerId: 'police-nl' });
    expect(await v.verify(se)).toMatchObject({ partnerId: 'police-se' });
    // police-nl's cached signature under another partner's claims, or another header: refused.
    const [h, , s] = nl.split('.');
    await expect(v.verify(`${h}.${se.split('.')[1]}.${s}`)).rejects.toMatchObject({ status: 401 });
    await expect(v.verify(`${se.split('.')[0]}.${nl.split('.')[1]}.${s}`)).rejects.toMatchObject({
      status: 401,
    });
    expect(v.cachedTokens?.()).toBe(2);
  });

  it('checks the signature once for concurrent uses of the same token, each caller with its own copy', async () => {
    const { v } = clocked();
    const token = await tokenOf({ ...baseClaims(), amr: ['mfa'] });
    const before = signatureChecks();
    const identities = await Promise.all(Array.from({ length: 10 }, () => v.verify(token)));
    expect(signatureChecks() - before).toBe(1);
    expect(new Set(identities).size).toBe(10);
    identities[0].amr.push('tampered');
    for (const identity of identities.slice(1))
      expect(identity).toMatchObject({ userId: 'user-1', amr: ['mfa'] });
    await v.verify(token);
    expect(signatureChecks() - before).toBe(1);
  });

  it('shares a concurrent failure, caches nothing, and checks the same bad token again later', async () => {
    const { v } = clocked();
    const token = await tokenOf({ ...baseClaims(), aud: 'https://other.test' });
    const before = signatureChecks();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => v.verify(token)));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 401 });
    expect(signatureChecks() - before).toBe(1);
    expect(v.cachedTokens?.()).toBe(0);
    await expect(v.verify(token)).rejects.toMatchObject({ status: 401 });
    expect(signatureChecks() - before).toBe(2);
  });

  it('holds at most maxEntries tokens, dropping the least recently used', async () => {
    const { v } = clocked({ cache: { maxEntries: 2 } });
    const tokens = await Promise.all(['a', 'b', 'c'].map((sub) => tokenOf({ ...baseClaims(), sub })));
    for (const token of tokens) await v.verify(token);
    expect(v.cachedTokens?.()).toBe(2);
  });

  it('can be turned off', async () => {
    const { v } = clocked({ cache: { maxEntries: 0 } });
    await v.verify(await tokenOf(baseClaims()));
    expect(v.cachedTokens?.()).toBe(0);
  });

  it.each([301, -1, Number.NaN])('rejects cache.maxTtlSeconds %p', (maxTtlSeconds) => {
    expect(() => verifier({ cache: { maxTtlSeconds } })).toThrow(/maxTtlSeconds/);
  });
});

describe('createTokenVerifier: configuration', () => {
  it('does not even load demo keys when demo issuers are refused', () => {
    expect(() => verifier({ bundleDir: '/nonexistent', acceptDemoIssuers: false })).not.toThrow();
  });

  it('throws at creation naming partner and file when a key is missing', () => {
    const broken: Partner = {
      ...partner('police-nl'),
      issuers: [{ iss: 'https://x.test', algorithm: 'ES256', publicKey: '../config/demo/missing.pub.pem' }],
    };
    expect(() => verifier({ partners: new Map([['police-nl', broken]]) })).toThrow(
      /police-nl.*missing\.pub\.pem/,
    );
  });

  it.each<[string, TokenAlgorithm, string]>([
    ['EC key pinned to RS256', 'RS256', 'police-nl'],
    ['EC P-256 key pinned to ES384', 'ES384', 'police-nl'],
    ['RSA key pinned to ES256', 'ES256', 'police-se'],
    ['Ed25519 key pinned to ES256', 'ES256', 'insureco'],
    ['EC key pinned to EdDSA', 'EdDSA', 'gateway'],
  ])('throws at creation for %s', (_label, algorithm, keyOf) => {
    const bad: Partner = {
      ...partner(keyOf),
      issuers: [{ iss: 'https://x.test', algorithm, publicKey: `../config/demo/${keyOf}.pub.pem` }],
    };
    expect(() => verifier({ partners: new Map([[keyOf, bad]]) })).toThrow(
      new RegExp(`${keyOf}.*${algorithm}`),
    );
  });

  it('accepts PS256 with an RSA key', () => {
    const ps: Partner = {
      ...partner('police-se'),
      issuers: [{ iss: 'https://x.test', algorithm: 'PS256', publicKey: '../config/demo/police-se.pub.pem' }],
    };
    expect(() => verifier({ partners: new Map([['police-se', ps]]) })).not.toThrow();
  });

  it('throws when one iss is bound to two partners', () => {
    const clone: Partner = { ...partner('police-nl'), id: 'impostor' };
    const partners = new Map([...PARTNERS, ['impostor', clone]]);
    expect(() => verifier({ partners })).toThrow(/bound to both police-nl and impostor/);
  });

  it.each([61, -1, Number.NaN, Infinity])('rejects clockSkewSeconds %p', (clockSkewSeconds) => {
    expect(() => verifier({ clockSkewSeconds })).toThrow(/clockSkewSeconds/);
  });

  it.each([0, 60])('allows clockSkewSeconds %p', (clockSkewSeconds) => {
    expect(() => verifier({ clockSkewSeconds })).not.toThrow();
  });
});

describe('issueDemoToken: errors', () => {
  const opts = { userId: 'erin', bundleDir: BUNDLE_DIR, audience: AUDIENCE, ttlSeconds: 60, mfa: false };

  it('throws a readable error when the partner has no demo issuer', async () => {
    const real: Partner = {
      ...partner('police-nl'),
      issuers: [{ iss: 'https://x.test', algorithm: 'ES256', publicKey: '../config/demo/police-nl.pub.pem' }],
    };
    await expect(issueDemoToken({ ...opts, partner: real })).rejects.toThrow(/police-nl has no demo issuer/);
  });

  it('throws naming the file when the private key is missing', async () => {
    const p: Partner = {
      ...partner('police-nl'),
      issuers: [
        { iss: 'https://x.test', algorithm: 'ES256', publicKey: '../config/demo/nope.pub.pem', demo: true },
      ],
    };
    await expect(issueDemoToken({ ...opts, partner: p })).rejects.toThrow(/nope\.key\.pem/);
  });

  it('refuses a TTL longer than the demo issuer accepts (an hour when it says nothing)', async () => {
    const p: Partner = {
      ...partner('police-nl'),
      issuers: [{ ...partner('police-nl').issuers[0], assurance: undefined }],
    };
    await expect(issueDemoToken({ ...opts, partner: p, ttlSeconds: 3600 })).resolves.toBeDefined();
    await expect(issueDemoToken({ ...opts, partner: p, ttlSeconds: 3601 })).rejects.toThrow(
      /police-nl's demo issuer accepts tokens of at most 3600 seconds/,
    );
  });

  it.each([0, -5, 1.5, 86_401])('rejects ttlSeconds %p', async (ttlSeconds) => {
    await expect(issueDemoToken({ ...opts, partner: partner('police-nl'), ttlSeconds })).rejects.toThrow(
      /ttlSeconds/,
    );
  });
});

describe('parseTtl', () => {
  it.each<[string, number]>([
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['24h', 86_400],
    ['1d', 86_400],
    ['1440m', 86_400],
    [' 2h ', 7200],
  ])('parses %p as %p seconds', (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });

  it.each(['', 'h', '1', '10x', '1.5h', '-1h', '1 h', '1H', 'one hour', '0s', '0h'])(
    'rejects %p with a readable error',
    (text) => {
      expect(() => parseTtl(text)).toThrow(/Invalid TTL/);
    },
  );

  it.each(['2d', '25h', '86401s'])('rejects %p as longer than 24h', (text) => {
    expect(() => parseTtl(text)).toThrow(/at most 24h/);
  });
});

describe('readMfa', () => {
  const strict = compileAssurance(undefined, 60, 'test');
  const mapped = compileAssurance(
    { mfaAmr: [['mfa'], ['pwd', 'otp'], ['hwk']], mfaAcr: ['http://eidas.europa.eu/LoA/high'] },
    60,
    'test',
  );

  it.each<[string[], boolean]>([
    [[], false],
    [['pwd'], false],
    [['a', 'b'], false],
    [['pwd', 'otp'], false],
    [['hwk', 'pin'], false],
    [['pwd', 'sms', 'otp'], false],
    [['mfa'], true],
    [['pwd', 'mfa'], true],
  ])('by default (only an explicit mfa): %p → %p', (amr, mfa) => {
    expect(readMfa(amr, undefined, strict)).toEqual({ mfa, mfaClaims: ['amr'] });
  });

  it.each<[string[], unknown, boolean, string[]]>([
    [['pwd', 'otp'], undefined, true, ['amr']],
    [['otp', 'kba', 'pwd'], undefined, true, ['amr']],
    [['hwk'], undefined, true, ['amr']],
    [['mfa'], undefined, true, ['amr']],
    [['pwd'], 'http://eidas.europa.eu/LoA/high', true, ['acr']],
    [['pwd'], 'http://eidas.europa.eu/LoA/substantial', false, ['amr', 'acr']],
    [['pwd'], ['http://eidas.europa.eu/LoA/high'], false, ['amr', 'acr']],
    [['otp'], undefined, false, ['amr', 'acr']],
    [['a', 'b'], 'b', false, ['amr', 'acr']],
  ])('with an issuer’s sets and acr values: %p, acr %p → %p by %p', (amr, acr, mfa, mfaClaims) => {
    expect(readMfa(amr, acr, mapped)).toEqual({ mfa, mfaClaims });
  });

  it('names no claim when the issuer counts none', () => {
    expect(readMfa(['mfa'], 'x', compileAssurance({ mfaAmr: [] }, 60, 'test'))).toEqual({
      mfa: false,
      mfaClaims: [],
    });
  });

  it.each<[string, object, RegExp]>([
    ['a knowledge-only set', { mfaAmr: [['pwd', 'pin']] }, /knowledge methods/],
    ['an empty set', { mfaAmr: [[]] }, /empty/],
    ['a skew over 60 s', { clockSkewSeconds: 61 }, /clockSkewSeconds/],
    ['a lifetime of 0', { maxTokenLifetimeSeconds: 0 }, /maxTokenLifetimeSeconds/],
    ['a lifetime over a day', { maxTokenLifetimeSeconds: 86_401 }, /maxTokenLifetimeSeconds/],
  ])('refuses settings with %s, naming the issuer', (_label, settings, message) => {
    expect(() => compileAssurance(settings, 60, 'Partner p, issuer i')).toThrow(message);
    expect(() => compileAssurance(settings, 60, 'Partner p, issuer i')).toThrow(/Partner p, issuer i/);
  });

  it('defaults: [[mfa]], no acr, an hour, the gateway’s skew', () => {
    expect(compileAssurance(undefined, 42, 'test')).toEqual({
      mfaAmr: [['mfa']],
      mfaAcr: [],
      maxTokenLifetimeSeconds: 3600,
      clockSkewSeconds: 42,
      mfaClaims: ['amr'],
    });
  });
});
