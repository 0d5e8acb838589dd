/**
 * A real OpenID provider for the tests (test/oidc/provider-process.mjs, oidc-provider in a child process
 * because it is ES modules only) and a headless user agent that signs in through its login page.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { TokenAlgorithm } from '../../src/policy/types';

/** A client registered at the provider (OpenID Connect Dynamic Client Registration metadata names). */
export interface ProviderClient {
  client_id: string;
  /** Left out: a public client (token_endpoint_auth_method none), PKCE alone. */
  client_secret?: string;
  token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post';
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  /** Default: the provider's key algorithm. */
  id_token_signed_response_alg?: TokenAlgorithm;
}

export interface ProviderOptions {
  /** The `aud` of access tokens for the gateway's resource; default 'five-safes-gateway'. */
  audience?: string;
  /** The algorithm of the generated signing key; default ES256. */
  alg?: TokenAlgorithm;
  /** Private signing JWKs (with kid and alg) instead of a generated one; the first one signs. */
  keys?: JWK[];
  /** Default: one public client, HEADLESS_CLIENT. */
  clients?: ProviderClient[];
  /** The issuer's path after the origin, e.g. '/oidc'; default none. */
  path?: string;
  /** Default 0: any free port. */
  port?: number;
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  /**
   * More resource indicators with their access tokens' audience and lifetime (e.g. short-lived tokens
   * for the gateway); the gateway's own (`gatewayResource`) is always there, any other indicator is
   * its own audience.
   */
  resources?: Record<string, { audience: string; ttl: number }>;
}

export interface TestProvider {
  /** http://127.0.0.1:<port><path>, the `iss` of its tokens. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly port: number;
  readonly audience: string;
  /** The resource indicator that gets access tokens for `audience`. */
  readonly gatewayResource: string;
  readonly clients: ProviderClient[];
  /** The private JWKs it signs with now, the signing one first. */
  keys(): JWK[];
  /** How many times the provider has served its JWKS since it (re)started. */
  jwksFetches(): Promise<number>;
  /**
   * Changes the published keys: `add` a new key (generated with the provider's algorithm unless one is
   * given), which signs from now on; `remove` keys by kid. Returns the kids published afterwards.
   */
  rotate(change?: { add?: boolean | JWK; remove?: string | string[] }): Promise<string[]>;
  /** Stops the process (the port is free again). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same issuer, keys and clients (sessions are lost). */
  restart(): Promise<void>;
}

export const DEFAULT_AUDIENCE = 'five-safes-gateway';
const GATEWAY_RESOURCE = 'urn:fsg:gateway';

/** The client tokensFor uses when the test names none: public, PKCE. */
export const HEADLESS_CLIENT: ProviderClient = {
  client_id: 'headless-test-client',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1/callback'],
  post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
};

const SCRIPT = path.resolve(__dirname, 'provider-process.mjs');

/** A private signing key as a JWK with a fresh kid. */
export async function signingKey(alg: TokenAlgorithm = 'ES256', kid: string = randomUUID()): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

interface Reply {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  ready?: { port: number; issuer: string };
}

class ProviderProcess {
  private next = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (msg: Reply) => {
      if (msg.id === undefined) return;
      const pending = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.ok) pending?.resolve(msg.result);
      else pending?.reject(new Error(msg.error));
    });
    child.on('exit', () => {
      this.exited = true;
      for (const pending of this.waiting.values()) pending.reject(new Error('The test provider exited.'));
      this.waiting.clear();
    });
  }

  static start(config: object): Promise<{ process: ProviderProcess; port: number; issuer: string }> {
    const child = fork(SCRIPT, [], {
      env: { ...process.env, NODE_ENV: 'test', FSG_TEST_OP: JSON.stringify(config) },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const running = new ProviderProcess(child);
    return new Promise((resolve, reject) => {
      child.once('message', (msg: Reply) => {
        if (msg.ready) resolve({ process: running, ...msg.ready });
      });
      child.once('exit', (code) => reject(new Error(`The test provider exited (${code}): ${stderr}`)));
    });
  }

  ask<T>(op: string, args: object = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error('The test provider is not running.'));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, ...args });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask('stop').catch(() => undefined);
    await gone;
  }
}

export async function startProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const alg = options.alg ?? 'ES256';
  let keys = options.keys ?? [await signingKey(alg)];
  const clients = (options.clients ?? [HEADLESS_CLIENT]).map((client) => ({
    id_token_signed_response_alg: (keys[0].alg as TokenAlgorithm | undefined) ?? alg,
    ...(client.client_secret ? {} : { token_endpoint_auth_method: 'none' as const }),
    ...client,
  }));
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const config = (port: number) => ({
    port,
    path: options.path ?? '',
    keys,
    clients,
    audience,
    resource: GATEWAY_RESOURCE,
    resources: options.resources ?? {},
    accessTokenTtl: options.accessTokenTtlSeconds ?? 600,
    idTokenTtl: options.idTokenTtlSeconds ?? 600,
  });
  let running = await ProviderProcess.start(config(options.port ?? 0));
  let stopped = false;
  const { port, issuer } = running;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    port,
    audience,
    gatewayResource: GATEWAY_RESOURCE,
    clients,
    keys: () => keys,
    jwksFetches: () => running.process.ask<number>('jwksFetches'),
    async rotate(change = { add: true }) {
      const removed = new Set([change.remove ?? []].flat());
      let next = keys.filter((key) => !removed.has(key.kid!));
      if (change.add) next = [change.add === true ? await signingKey(alg) : change.add, ...next];
      keys = next;
      if (stopped) return keys.map((key) => key.kid!);
      return running.process.ask<string[]>('keys', { keys });
    },
    async stop() {
      stopped = true;
      await running.process.stop();
    },
    async restart() {
      await running.process.stop();
      running = await ProviderProcess.start(config(port));
      stopped = false;
    },
  };
}

/** Cookies by origin, as a browser keeps them (enough for the provider's session and interaction cookies). */
export class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>();

  header(url: string): string {
    const cookies = this.jar.get(new URL(url).origin) ?? new Map<string, string>();
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    this.jar.set(origin, cookies);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}

async function request(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(url, response);
  return response;
}

/** The redirect target without the query, to compare with the client's redirect URI. */
function withoutQuery(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/**
 * Browses from `start` as a browser would (following redirects with the jar) until a redirect reaches
 * `target` (returned, not fetched), submitting the one form on the way with what `fill` gives. After the
 * form, a page instead of a redirect is where the browsing ends when `pageEnds` (the page's URL).
 */
async function browse(
  jar: CookieJar,
  start: string,
  target: string | null,
  fill: (html: string) => URLSearchParams,
  pageEnds = false,
): Promise<string> {
  let url = start;
  let init: RequestInit = {};
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    const response = await request(jar, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (target && withoutQuery(next) === withoutQuery(target)) return next;
      url = next;
      continue;
    }
    const html = await response.text();
    if (submitted && pageEnds && response.status === 200) return url;
    const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action || submitted) {
      throw new Error(`The browsing stopped at ${url} (${response.status}): ${html.slice(0, 500)}`);
    }
    submitted = true;
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fill(html).toString(),
    };
  }
  throw new Error(`Too many redirects from ${start}.`);
}

/**
 * Signs `user` in at the provider as a browser would: follows the redirects from `authorizeUrl` (with a
 * cookie jar), submits the login form (with a one-time code when `user.otp`), lets the automatic consent
 * through, and returns the redirect to the client's redirect_uri (with code and state) without fetching it.
 */
export async function signInHeadless(
  authorizeUrl: string,
  user: { login: string; otp?: boolean; password?: string },
  jar: CookieJar = new CookieJar(),
): Promise<string> {
  const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error('The authorization URL has no redirect_uri.');
  return browse(jar, authorizeUrl, redirectUri, () => {
    const form = new URLSearchParams({ login: user.login, password: user.password ?? 'password' });
    if (user.otp) form.set('otp', '123456');
    return form;
  });
}

/**
 * RP-initiated logout as a browser would do it, with the jar of the sign-in: opens `endSessionUrl`,
 * confirms on the provider's page, and returns the redirect to the post_logout_redirect_uri (or, with
 * none, the URL of the provider's "signed out" page) without fetching it.
 */
export async function signOutHeadless(endSessionUrl: string, jar: CookieJar): Promise<string> {
  const back = new URL(endSessionUrl).searchParams.get('post_logout_redirect_uri');
  return browse(
    jar,
    endSessionUrl,
    back,
    (html) => {
      const form = new URLSearchParams({ logout: 'yes' });
      for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
        form.set(match[1], match[2]);
      }
      return form;
    },
    true,
  );
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

export interface Tokens {
  access_token: string;
  id_token: string;
  expires_in?: number;
  token_type?: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  jwks_uri: string;
  issuer: string;
}

export async function discoveryOf(provider: TestProvider): Promise<Discovery> {
  const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`Discovery failed: ${response.status}`);
  return (await response.json()) as Discovery;
}

/**
 * The whole authorization code flow with PKCE for `user` at `provider` with `client` (undefined: the
 * provider's first client): the access token (a JWT, typ at+jwt, for `resource`, default the gateway)
 * and the ID token.
 */
export async function tokensFor(
  provider: TestProvider,
  client: ProviderClient | undefined,
  user: { login: string; otp?: boolean },
  opts: { resource?: string; scope?: string } = {},
): Promise<Tokens> {
  client ??= provider.clients[0];
  const discovery = await discoveryOf(provider);
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const state = base64url(randomBytes(16));
  const redirectUri = client.redirect_uris[0];
  const resource = opts.resource ?? provider.gatewayResource;
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: opts.scope ?? 'openid api',
    state,
    nonce: base64url(randomBytes(16)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource,
  }).toString();
  const back = new URL(await signInHeadless(authorize.href, user));
  if (back.searchParams.get('state') !== state) throw new Error(`Bad state in ${back.href}`);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`No code in ${back.href}`);
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    resource,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.client_secret) {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    body.set('client_id', client.client_id);
  }
  const response = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: body.toString() });
  const tokens = (await response.json()) as Tokens & { error?: string; error_description?: string };
  if (!response.ok) throw new Error(`Token request failed: ${tokens.error}: ${tokens.error_description}`);
  return tokens;
}
