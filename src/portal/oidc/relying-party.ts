/**
 * The portal as an OpenID Connect relying party: the authorization code flow with PKCE (S256), state and
 * nonce, with each partner's own identity provider (an issuer of partners.yaml with `signIn`). The
 * protocol is openid-client's; what makes a person is the gateway's: the ID token is verified again by
 * the same verifier as an API token (pinned algorithms, the issuer bound to its partner, audience the
 * client, lifetime, assurance), so the same people safe applies to both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as oidc from 'openid-client';
import type { Identity } from '../../auth/identity';
import { checkKeyUrl } from '../../auth/remote-keys';
import type { TokenVerifier } from '../../auth/verifier';
import { problems } from '../../http/problem';
import type { Bundle, IssuerConfig, Partner } from '../../policy/types';
import type { SignedInWith } from '../session';

/** A partner whose users sign in through their identity provider. */
export interface SignInOption {
  partnerId: string;
  label: string;
}

/** What the portal keeps, sealed, between sending the browser to the provider and its return. */
export interface PendingSignIn {
  partnerId: string;
  iss: string;
  redirectUri: string;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export interface SignedIn {
  identity: Identity;
  idToken: string;
  signIn: SignedInWith;
}

export interface RelyingParty {
  options(): SignInOption[];
  /** The provider's authorization URL to send the browser to, and what must be kept until it returns. */
  start(partnerId: string, redirectUri: string): Promise<{ url: string; pending: PendingSignIn }>;
  /** Exchanges the code of `callbackUrl` (checking state, PKCE and nonce) and verifies the ID token. */
  finish(pending: PendingSignIn, callbackUrl: URL): Promise<SignedIn>;
  /** Where to end the session at the provider too, when it publishes an end_session_endpoint. */
  endSessionUrl(
    signIn: SignedInWith,
    idToken: string,
    postLogoutRedirectUri: string,
  ): Promise<URL | undefined>;
  /** The origin of a provider's end_session_endpoint once known (the portal's CSP lets forms go there). */
  endSessionOrigin(iss: string): string | undefined;
}

/** Seconds to wait for a provider's discovery document or token endpoint. */
const PROVIDER_TIMEOUT_SECONDS = 5;

interface Client {
  partner: Partner;
  issuer: IssuerConfig & { signIn: NonNullable<IssuerConfig['signIn']> };
  auth: oidc.ClientAuth;
  secret?: string;
  /** The provider's metadata, fetched once it is first needed; a failure is not kept, so it is retried. */
  config?: Promise<oidc.Configuration>;
  discovered?: oidc.Configuration;
}

/** The client secret from the environment or a file, read at start-up: a missing one is a start-up error. */
function readSecret(signIn: NonNullable<IssuerConfig['signIn']>, bundleDir: string, label: string) {
  if (signIn.clientSecretEnv && signIn.clientSecretFile) {
    throw new Error(`${label}: give clientSecretEnv or clientSecretFile, not both.`);
  }
  if (signIn.clientSecretEnv) {
    const value = process.env[signIn.clientSecretEnv];
    if (!value) throw new Error(`${label}: the environment variable ${signIn.clientSecretEnv} is not set.`);
    return value;
  }
  if (signIn.clientSecretFile) {
    const file = path.resolve(bundleDir, signIn.clientSecretFile);
    let value: string;
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(`${label}: cannot read the client secret file ${file}.`);
    }
    if (!value) throw new Error(`${label}: the client secret file ${file} is empty.`);
    return value;
  }
  return undefined; // a public client: PKCE alone binds the code to the browser that asked for it
}

export function createRelyingParty(deps: {
  bundle: Bundle;
  verifier: TokenVerifier;
  acceptDemoIssuers: boolean;
}): RelyingParty {
  const clients = new Map<string, Client>(); // by partner: the first issuer of a partner with signIn
  for (const partner of deps.bundle.partners.values()) {
    const issuer = partner.issuers.find((i) => i.signIn && (!i.demo || deps.acceptDemoIssuers));
    if (!issuer?.signIn) continue;
    const label = `Partner ${partner.id}, issuer ${issuer.iss}`;
    // The rule of every URL the gateway fetches an issuer's things from.
    checkKeyUrl(issuer.iss, label, 'the sign-in issuer');
    const secret = readSecret(issuer.signIn, deps.bundle.dir, label);
    clients.set(partner.id, {
      partner,
      issuer: issuer as Client['issuer'],
      auth: secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
      ...(secret ? { secret } : {}),
    });
  }

  function configOf(client: Client): Promise<oidc.Configuration> {
    if (!client.config) {
      const url = new URL(client.issuer.iss);
      const algorithms =
        client.issuer.algorithms ?? (client.issuer.algorithm ? [client.issuer.algorithm] : []);
      client.config = oidc
        .discovery(
          url,
          client.issuer.signIn.clientId,
          // The ID token's algorithm as pinned (openid-client would otherwise expect RS256).
          algorithms.length === 1 ? { id_token_signed_response_alg: algorithms[0] } : undefined,
          client.auth,
          {
            timeout: PROVIDER_TIMEOUT_SECONDS,
            execute: url.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
          },
        )
        .then((config) => {
          client.discovered = config;
          return config;
        })
        .catch((error: unknown) => {
          delete client.config;
          throw error;
        });
    }
    return client.config.catch(() => {
      throw problems.unavailable(
        `The identity provider of ${client.partner.name} cannot be reached now; try again later.`,
        30,
      );
    });
  }

  function clientOf(partnerId: string): Client {
    const client = clients.get(partnerId);
    if (!client)
      throw problems.notFound('This organisation does not sign in through its identity provider here.');
    return client;
  }

  return {
    options: () =>
      [...clients.values()].map((c) => ({
        partnerId: c.partner.id,
        label: c.issuer.signIn.label ?? `Sign in with ${c.partner.name}`,
      })),

    async start(partnerId, redirectUri) {
      const client = clientOf(partnerId);
      const config = await configOf(client);
      const pending: PendingSignIn = {
        partnerId,
        iss: client.issuer.iss,
        redirectUri,
        codeVerifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
      const scopes = new Set(['openid', ...(client.issuer.signIn.scopes ?? [])]);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: [...scopes].join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.href, pending };
    },

    async finish(pending, callbackUrl) {
      const client = clientOf(pending.partnerId);
      if (client.issuer.iss !== pending.iss) throw problems.unauthenticated('The sign-in has expired.');
      const config = await configOf(client);
      let idToken: string | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        idToken = tokens.id_token;
      } catch (error) {
        throw problems.unauthenticated(refusalOf(error));
      }
      if (!idToken) throw problems.unauthenticated('The identity provider sent no ID token.');
      const clientId = client.issuer.signIn.clientId;
      const identity = await deps.verifier.verify(idToken, { kind: 'id', clientId });
      // The verifier binds the issuer to its partner; the partner the user picked must be that one.
      if (identity.partnerId !== pending.partnerId)
        throw problems.unauthenticated('The sign-in could not be verified.');
      return { identity, idToken, signIn: { iss: client.issuer.iss, clientId } };
    },

    async endSessionUrl(signIn, idToken, postLogoutRedirectUri) {
      const client = [...clients.values()].find((c) => c.issuer.iss === signIn.iss);
      if (!client) return undefined;
      const config = await configOf(client).catch(() => undefined);
      if (!config?.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: postLogoutRedirectUri,
        client_id: signIn.clientId,
      });
    },

    endSessionOrigin(iss) {
      const client = [...clients.values()].find((c) => c.issuer.iss === iss);
      const endpoint = client?.discovered?.serverMetadata().end_session_endpoint;
      return endpoint ? new URL(endpoint).origin : undefined;
    },
  };
}

/**
 * What the person is told when the provider's answer is refused: the OAuth error code a provider sent
 * (access_denied, invalid_grant …), or what the check found; never a token or a claim.
 */
function refusalOf(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    return `The identity provider refused the sign-in (${error.error}). Start again.`;
  }
  return 'The answer of the identity provider could not be verified. Start again.';
}
