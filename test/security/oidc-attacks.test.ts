/**
 * Issue 19 under attack: holes found in the OpenID Connect relying party and the verifier behind it,
 * each shown by a test that failed before its fix.
 * 1. A sign-in client whose id is the gateway's audience made the provider's ID tokens API tokens
 *    (they reach browser history and the provider's logs through the sign-out URL's id_token_hint).
 */
import { createTokenVerifier, type VerifierOptions } from '../../src/auth/verifier';
import type { IssuerConfig, Partner } from '../../src/policy/types';
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

  it('with accessTokenType pinned, its ID token is no API token; its access token is one', async () => {
    const verifier = createTokenVerifier(optionsFor(issuer({ accessTokenType: 'at+jwt' })));
    const tokens = await tokensFor(provider, undefined, { login: 'anna', otp: true });
    await expect(verifier.verify(tokens.id_token)).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(tokens.access_token)).resolves.toMatchObject({ userId: 'anna' });
    await expect(
      verifier.verify(tokens.id_token, { kind: 'id', clientId: DEFAULT_AUDIENCE }),
    ).resolves.toMatchObject({ userId: 'anna' });
  }, 20_000);
});
