/**
 * An issuer's key set fetched from its identity provider: at its `jwksUri`, or at the `jwks_uri` of its
 * OpenID Connect discovery document. Fetched once in the background when the verifier is made, kept
 * for `cacheMaxAgeMs`, and fetched again (at most once per `cooldownMs`, however many tokens ask, and whether the last
 * attempt worked or not) when it is stale or a token names a kid it does not hold. Nothing here blocks
 * start-up; a set that cannot be had makes that issuer's tokens wait for the next attempt, not others.
 */
import {
  createLocalJWKSet,
  errors,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type KeyLike,
} from 'jose';

/** How issuers' key sets are fetched: how long to wait, how often they may be fetched again, how long kept. */
export interface JwksOptions {
  timeoutMs?: number;
  cooldownMs?: number;
  cacheMaxAgeMs?: number;
}

export const JWKS_DEFAULTS = { timeoutMs: 5000, cooldownMs: 30_000, cacheMaxAgeMs: 10 * 60_000 } as const;

/** Whether the keys could be had at the last attempt; `pending` until the first one ends. */
export type KeysState = 'pending' | 'ok' | 'unreachable';

/** The key set (or the discovery document leading to it) cannot be had now: not the token's fault. */
export class KeysUnavailable extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("The issuer's keys cannot be fetched now.");
    this.name = 'KeysUnavailable';
  }
}

/** https, or http only on this machine (a test provider, a local sidecar). */
export function checkKeyUrl(value: unknown, label: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error(`${label}: ${what} is not a URL.`);
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`${label}: ${what} must be https (http only on this machine).`);
  }
  return url;
}

/** A key set or a discovery document is a few KB: one far larger is not one, and is not held whole. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

async function fetchJson(url: URL, signal: AbortSignal): Promise<unknown> {
  // No redirects: the key set is where the bundle or the issuer's own document says, nowhere else.
  const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url.href} answered ${response.status}`);
  const tooLarge = () => new Error(`${url.href} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  if (Number(response.headers.get('content-length') ?? 0) > MAX_DOCUMENT_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_DOCUMENT_BYTES) throw tooLarge(); // leaving the loop cancels the rest of the body
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Where an issuer's key set is according to its discovery document, whose `issuer` must be the very
 * `iss` of its tokens (OpenID Connect Discovery 4.3): a document for another issuer is refused.
 */
export function discoveredKeys(iss: string, label: string): (signal: AbortSignal) => Promise<URL> {
  const document = new URL(`${iss.replace(/\/$/, '')}/.well-known/openid-configuration`);
  return async (signal) => {
    const doc = (await fetchJson(document, signal)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (doc?.issuer !== iss) throw new Error(`${label}: the discovery document is for another issuer.`);
    const keys = checkKeyUrl(doc.jwks_uri, label, 'the discovery document’s jwks_uri');
    // http is for a provider on this machine: a remote issuer's document may not aim at the gateway's own.
    if (keys.protocol === 'http:' && document.protocol !== 'http:') {
      throw new Error(`${label}: the discovery document’s jwks_uri must be https.`);
    }
    return keys;
  };
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class RemoteKeySet {
  private local?: LocalKeySet;
  private keysUrl?: URL;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<void>;
  private state: KeysState = 'pending';
  private readonly options: Required<JwksOptions>;

  /** `locate` says where the set is (a fixed URL, or the discovery document's jwks_uri). */
  constructor(
    private readonly locate: (signal: AbortSignal) => Promise<URL>,
    options: JwksOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...JWKS_DEFAULTS, ...options };
  }

  get status(): KeysState {
    return this.state;
  }

  /**
   * Fetches the set again unless an attempt is under way (then waits for it) or one began within the
   * cooldown. Never throws: the outcome is in `status` and in whether the set changed.
   */
  refresh(): Promise<void> {
    if (this.pending) return this.pending;
    if (this.now() - this.attemptedAt < this.options.cooldownMs) return Promise.resolve();
    this.attemptedAt = this.now();
    this.pending = this.fetchKeys()
      .then(
        () => {
          this.state = 'ok';
        },
        () => {
          this.state = 'unreachable';
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    // Once found, the key set's address is kept: only the keys in it rotate.
    this.keysUrl ??= await this.locate(signal);
    const local = createLocalJWKSet(
      (await fetchJson(this.keysUrl, signal)) as Parameters<typeof createLocalJWKSet>[0],
    );
    this.local = local;
    this.fetchedAt = this.now();
  }

  private fresh(): LocalKeySet | undefined {
    return this.now() - this.fetchedAt < this.options.cacheMaxAgeMs ? this.local : undefined;
  }

  private unavailable(): KeysUnavailable {
    const waitMs = this.attemptedAt + this.options.cooldownMs - this.now();
    return new KeysUnavailable(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** jose's key resolver: the key the token's header names, from a set fresh enough. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    let local = this.fresh();
    if (!local) {
      await this.refresh();
      local = this.fresh();
      if (!local) throw this.unavailable();
    }
    try {
      return await local(header, token);
    } catch (err) {
      // A kid the set does not hold may be a key the provider has just added.
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      await this.refresh();
      const renewed = this.fresh();
      if (!renewed || renewed === local) throw err;
      return renewed(header, token);
    }
  };
}
