/**
 * Standing adversarial suite: forged and malformed bearer tokens against the real app (and the
 * verifier where the app cannot show the difference). Every refusal must be RFC 9457 problem+json
 * that echoes neither the token nor any of its claims. Tokens are forged with jose and node:crypto
 * from the demo issuers' (public) private keys in config/demo/ and from attackers' own keys.
 */
import {
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SignJWT, decodeJwt, exportJWK, type JWTPayload } from 'jose';
import { createTokenVerifier, type TokenVerifier } from '../../src/auth/verifier';
import { boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';

const DEMO_DIR = path.resolve(__dirname, '../../config/demo');
const privateKey = (id: string) => createPrivateKey(readFileSync(path.join(DEMO_DIR, `${id}.key.pem`)));
const publicPem = (id: string) => readFileSync(path.join(DEMO_DIR, `${id}.pub.pem`), 'utf8');

const NL_ISS = 'https://idp.police-nl.demo'; // ES256
const SE_ISS = 'https://idp.police-se.demo'; // RS256, its own clock skew of 30 s
const NL = privateKey('police-nl');
const SE = privateKey('police-se');
const BOATREG = privateKey('boatreg-nl'); // Ed25519
const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attackerP384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

/** A route any verified token may call: the gateway's checkpoint key. */
const PROBE = '/api/v1/audit/checkpoints/key';
/** A claim that must never come back in any response. */
const CANARY = 'canary-7f3e9b';

let gw: TestGateway;
let audience: string;
let verifier: TokenVerifier;

beforeAll(async () => {
  gw = await createTestGateway();
  audience = decodeJwt(await gw.token('anna')).aud as string;
  verifier = createTokenVerifier({
    partners: gw.bundle.partners,
    bundleDir: gw.bundle.dir,
    audience,
    clockSkewSeconds: 60,
    acceptDemoIssuers: true,
    cache: { maxEntries: 0 },
  });
});
afterAll(() => gw.close());

const nowSec = () => Math.floor(Date.now() / 1000);

/** Claims of a valid, fresh police-nl token for anna (MFA by pwd + otp); rows override or remove. */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSec();
  const base: Record<string, unknown> = {
    iss: NL_ISS,
    aud: audience,
    sub: 'anna',
    iat: now,
    exp: now + 600,
    auth_time: now - 60,
    amr: ['pwd', 'otp'],
    note: CANARY,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base as JWTPayload;
}

/** Signs with jose: any key, any algorithm, any header. */
function forge(
  payload: JWTPayload,
  key: KeyObject = NL,
  alg = 'ES256',
  header: Record<string, unknown> = {},
  crit?: Record<string, boolean>,
) {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(key, crit ? { crit } : undefined);
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Signs any header and payload text with police-nl's real key (ES256), without jose's rules. */
function signRaw(header: object, payloadText: string): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payloadText)}`;
  const sig = cryptoSign('sha256', Buffer.from(input), { key: NL, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/**
 * The strings a response must not contain: the token, its parts, and the claims' values. A decision
 * (403) names its own requester as the recipient of what it permits, so there the user may appear.
 */
function secretsOf(token: string, status: number): string[] {
  const found = new Set<string>([token, CANARY, 'idp.police']);
  if (status !== 403) found.add('anna');
  for (const part of token.split('.')) if (part.length >= 8) found.add(part);
  return [...found];
}

async function probe(token: string) {
  return gw.http.get(PROBE).set('Authorization', `Bearer ${token}`);
}

function expectProblemEchoingNothing(
  res: { status: number; headers: Record<string, string>; text: string },
  token: string,
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const shown = res.text + JSON.stringify(res.headers);
  for (const secret of secretsOf(token, status)) expect(shown).not.toContain(secret);
  expect(shown).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
}

interface TokenCase {
  name: string;
  token: () => Promise<string> | string;
}

/** Forged and malformed tokens: each must get a generic 401 problem. */
const refused: TokenCase[] = [
  { name: 'alg none', token: () => `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(claims()))}.` },
  {
    name: 'HS256 with the ES256 issuer’s public key as HMAC secret (key confusion)',
    token: () => {
      const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify(claims()))}`;
      return `${input}.${createHmac('sha256', publicPem('police-nl')).update(input).digest('base64url')}`;
    },
  },
  {
    name: 'HS256 with the RS256 issuer’s public key as HMAC secret (key confusion)',
    token: () => {
      const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify(claims({ iss: SE_ISS })))}`;
      return `${input}.${createHmac('sha256', publicPem('police-se')).update(input).digest('base64url')}`;
    },
  },
  {
    name: 'tampered payload (another payload under an old signature)',
    token: async () => {
      const [h, , s] = (await forge(claims({ sub: 'tom' }))).split('.');
      return `${h}.${b64(JSON.stringify(claims()))}.${s}`;
    },
  },
  { name: 'an unknown key of the right type', token: () => forge(claims(), attackerEc.privateKey) },
  {
    name: 'expired just beyond the skew (61 s)',
    token: () => forge(claims({ iat: nowSec() - 600, exp: nowSec() - 61 })),
  },
  {
    name: 'expired just beyond the issuer’s own skew (police-se: 30 s)',
    token: () =>
      forge(claims({ iss: SE_ISS, sub: 'sven', iat: nowSec() - 600, exp: nowSec() - 40 }), SE, 'RS256'),
  },
  { name: 'nbf beyond the skew', token: () => forge(claims({ nbf: nowSec() + 120 })) },
  { name: 'wrong audience', token: () => forge(claims({ aud: 'https://another-gateway.example' })) },
  { name: 'audience list without this gateway', token: () => forge(claims({ aud: ['a', 'b'] })) },
  {
    name: 'wrong issuer (police-se’s iss under police-nl’s key)',
    token: () => forge(claims({ iss: SE_ISS })),
  },
  {
    name: 'wrong issuer (police-nl’s iss under police-se’s key)',
    token: () => forge(claims(), SE, 'RS256'),
  },
  { name: 'unknown issuer', token: () => forge(claims({ iss: 'https://idp.attacker.example' })) },
  { name: 'issuer differing by a trailing slash', token: () => forge(claims({ iss: `${NL_ISS}/` })) },
  { name: 'missing iss', token: () => forge(claims({ iss: undefined })) },
  { name: 'missing aud', token: () => forge(claims({ aud: undefined })) },
  { name: 'missing exp', token: () => forge(claims({ exp: undefined })) },
  { name: 'missing sub', token: () => forge(claims({ sub: undefined })) },
  { name: 'non-numeric exp', token: () => forge(claims({ exp: String(nowSec() + 600) })) },
  {
    name: 'kid header pointing at the attacker’s key',
    token: () => forge(claims(), attackerEc.privateKey, 'ES256', { kid: '../../config/demo/attacker' }),
  },
  {
    name: 'jku header pointing at the attacker’s key set',
    token: () =>
      forge(claims(), attackerEc.privateKey, 'ES256', { jku: 'https://attacker.example/jwks.json' }),
  },
  {
    name: 'x5u header pointing at the attacker’s certificate',
    token: () =>
      forge(claims(), attackerEc.privateKey, 'ES256', { x5u: 'https://attacker.example/cert.pem' }),
  },
  {
    name: 'embedded jwk header with the attacker’s own key',
    token: async () =>
      forge(claims(), attackerEc.privateKey, 'ES256', { jwk: await exportJWK(attackerEc.publicKey) }),
  },
  {
    name: 'crit header naming an unknown extension (genuine key)',
    token: () =>
      forge(claims(), NL, 'ES256', { crit: ['x-attacker'], 'x-attacker': true }, { 'x-attacker': true }),
  },
  {
    name: 'unencoded payload (b64: false, genuine key)',
    token: () => {
      const payload = JSON.stringify(claims()).replace(/\./g, '_');
      const input = `${b64(JSON.stringify({ alg: 'ES256', b64: false, crit: ['b64'] }))}.${payload}`;
      const sig = cryptoSign('sha256', Buffer.from(input), { key: NL, dsaEncoding: 'ieee-p1363' });
      return `${b64(JSON.stringify({ alg: 'ES256', b64: false, crit: ['b64'] }))}..${sig.toString('base64url')}`;
    },
  },
  { name: 'algorithm swap: RS256 to an ES256 issuer', token: () => forge(claims(), attackerRsa, 'RS256') },
  { name: 'algorithm swap: RS256 with another issuer’s key', token: () => forge(claims(), SE, 'RS256') },
  { name: 'algorithm swap: ES384 to an ES256 issuer', token: () => forge(claims(), attackerP384, 'ES384') },
  { name: 'algorithm swap: EdDSA to an ES256 issuer', token: () => forge(claims(), BOATREG, 'EdDSA') },
  { name: 'future iat (beyond the skew)', token: () => forge(claims({ iat: nowSec() + 300 })) },
  {
    name: 'future auth_time (beyond the skew)',
    token: () => forge(claims({ auth_time: nowSec() + 300 })),
  },
  {
    name: 'lifetime over the issuer’s maximum (exp − iat)',
    token: () => forge(claims({ iat: nowSec() - 10, exp: nowSec() + 24 * 3600 })),
  },
  {
    name: 'missing iat (the issuer sets a maximum lifetime)',
    token: () => forge(claims({ iat: undefined })),
  },
  {
    name: 'oversized token (genuine signature, 9 KB)',
    token: () => forge(claims({ pad: 'x'.repeat(9 * 1024) })),
  },
  { name: 'payload not JSON (genuine signature)', token: () => signRaw({ alg: 'ES256' }, 'not json at all') },
  {
    name: 'payload JSON but not an object',
    token: () => signRaw({ alg: 'ES256' }, JSON.stringify([CANARY])),
  },
  { name: 'header not JSON', token: () => `${b64('nope')}.${b64(JSON.stringify(claims()))}.c2ln` },
  { name: 'extra segment', token: async () => `${await forge(claims())}.${b64(CANARY)}` },
  {
    name: 'five segments (JWE-shaped)',
    token: async () => `${(await forge(claims())).split('.').join('..')}`,
  },
  {
    name: 'missing signature segment',
    token: async () => (await forge(claims())).split('.').slice(0, 2).join('.'),
  },
  { name: 'a single segment', token: async () => (await forge(claims())).split('.')[1] },
  { name: 'empty segments', token: () => '..' },
  { name: 'empty sub', token: () => forge(claims({ sub: '' })) },
  { name: 'numeric sub', token: () => forge(claims({ sub: 42 })) },
  { name: 'array sub', token: () => forge(claims({ sub: ['anna'] })) },
  { name: 'object sub', token: () => forge(claims({ sub: { id: 'anna' } })) },
];

/** Just on the right side of each limit: accepted, so the refusals above are about the limit. */
const accepted: TokenCase[] = [
  { name: 'a fresh, well-formed token', token: () => forge(claims()) },
  {
    name: 'expired within the skew (50 s)',
    token: () => forge(claims({ iat: nowSec() - 600, exp: nowSec() - 50 })),
  },
  {
    name: 'expired within the issuer’s own skew (police-se: 20 s)',
    token: () =>
      forge(claims({ iss: SE_ISS, sub: 'sven', iat: nowSec() - 600, exp: nowSec() - 20 }), SE, 'RS256'),
  },
  { name: 'nbf within the skew', token: () => forge(claims({ nbf: nowSec() + 30 })) },
  { name: 'iat within the skew', token: () => forge(claims({ iat: nowSec() + 30 })) },
  { name: 'auth_time within the skew', token: () => forge(claims({ auth_time: nowSec() + 30 })) },
  {
    name: 'lifetime at the issuer’s maximum',
    token: () => {
      const iat = nowSec() - 10;
      return forge(claims({ iat, exp: iat + 24 * 3600 }));
    },
  },
  {
    name: 'a kid header with the genuine key (the kid is not used)',
    token: () => forge(claims(), NL, 'ES256', { kid: 'x' }),
  },
  { name: 'an audience list naming this gateway', token: () => forge(claims({ aud: ['other', audience] })) },
];

describe('forged and malformed tokens', () => {
  it.each(refused.map((c) => [c.name, c] as const))(
    'refuses %s: 401 problem, echoing nothing',
    async (_n, c) => {
      const token = await c.token();
      const res = await probe(token);
      expectProblemEchoingNothing(res, token, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
    },
  );

  it.each(accepted.map((c) => [c.name, c] as const))('accepts %s', async (_n, c) => {
    const res = await probe(await c.token());
    expect(res.status).toBe(200);
  });

  it('holds at least twenty named classes of forged and malformed tokens', () => {
    expect(new Set(refused.map((c) => c.name)).size).toBeGreaterThanOrEqual(20);
  });

  it('refuses a 20 KB token without parsing it (over any header a proxy passes)', async () => {
    const token = await forge(claims({ pad: 'x'.repeat(20 * 1024) }));
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a malformed Authorization header with 401 problem+json', async () => {
    for (const header of [
      'Bearer',
      'Bearer ',
      'Basic YW5uYTpzZWNyZXQ=',
      `Bearer ${CANARY} extra`,
      `bearer${CANARY}`,
    ]) {
      const res = await gw.http.get(PROBE).set('Authorization', header);
      expectProblemEchoingNothing(res, CANARY, 401);
    }
  });
});

describe('hole 7: weak claims accepted', () => {
  const create = (token: string) =>
    gw.http.post('/api/v1/requests').set('Authorization', `Bearer ${token}`).send(boatRequest());

  it('hole 7: two arbitrary amr values are not MFA', async () => {
    for (const amr of [
      ['a', 'b'],
      [`${CANARY}-1`, `${CANARY}-2`],
      ['pwd', 'pwd'],
      ['pwd', 'kba'],
    ]) {
      const token = await forge(claims({ amr }));
      const res = await create(token);
      expectProblemEchoingNothing(res, token, 403);
      const setting = res.body.decision.safes.setting;
      expect(setting.outcome).toBe('fail');
      expect(setting.reasons.map((r: { code: string }) => r.code)).toEqual(['SETTING_MFA_REQUIRED']);
      expect(JSON.stringify(res.body)).not.toContain('"a"');
    }
  });

  it('hole 7: the methods the issuer counts as MFA pass the setting safe', async () => {
    for (const amr of [['mfa'], ['pwd', 'otp'], ['otp', 'pwd', 'kba']]) {
      const res = await create(await forge(claims({ amr })));
      expect(res.status).toBe(201);
    }
  });

  it('hole 7: a future auth_time is refused', async () => {
    const token = await forge(claims({ auth_time: nowSec() + 3600 }));
    expectProblemEchoingNothing(await create(token), token, 401);
  });

  it('hole 7: a future iat is refused', async () => {
    const token = await forge(claims({ iat: nowSec() + 3600, exp: nowSec() + 4200 }));
    expectProblemEchoingNothing(await create(token), token, 401);
  });

  it('hole 7: a token living longer than its issuer allows is refused', async () => {
    const token = await forge(claims({ iat: nowSec(), exp: nowSec() + 365 * 24 * 3600 }));
    expectProblemEchoingNothing(await create(token), token, 401);
  });
});

describe('cross-issuer subjects', () => {
  it('a police-se token whose sub is a police-nl user acts as police-se only', async () => {
    const token = await forge(claims({ iss: SE_ISS, sub: 'anna' }), SE, 'RS256');
    const identity = await verifier.verify(token);
    expect(identity.partnerId).toBe('police-se');
    expect(identity.userId).toBe('anna');

    // Not as anna of police-nl: police-se has no anna, and the people safe says so (and nothing more).
    const res = await gw.http
      .post('/api/v1/requests')
      .set('Authorization', `Bearer ${token}`)
      .send(boatRequest());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.reasons).toEqual(['PEOPLE_UNKNOWN_USER']);
    expect(res.text).not.toContain(token);
  });

  it('a police-se token whose sub is boatreg-nl’s responder opens no boatreg-nl inbox', async () => {
    const token = await forge(claims({ iss: SE_ISS, sub: 'bram' }), SE, 'RS256');
    expect((await verifier.verify(token)).partnerId).toBe('police-se');
    const res = await gw.http.get('/api/v1/inbox').set('Authorization', `Bearer ${token}`);
    expectProblemEchoingNothing(res, token, 403);
  });
});
