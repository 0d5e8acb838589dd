/**
 * Configuration: config/default.yaml, then the file named by FSG_CONFIG merged over it, then FSG_*
 * variables; validated against schemas/config.schema.json. A bad config stops start-up with one
 * readable line per problem.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import schema from '../../schemas/config.schema.json';
import type { RateLimitsConfig } from '../http/rate-limits';
import { createAjv } from './ajv';
import { describeAjvError } from './schema-errors';

export interface GatewayConfig {
  server: {
    host: string;
    port: number;
    trustProxy: false | string[];
    bodyLimit: string;
    uploadLimit: string;
    /** Dataset uploads through the API (streamed to disk); uploadLimit when left out. */
    datasetUploadLimit?: string;
  };
  dataDir: string;
  /**
   * kind: `sqlite` (the default: `file`, relative to dataDir) or `postgres` (`url`, FSG_DATABASE_URL;
   * every object in `schema`, default fsg; `poolSize` connections per instance).
   * lookupWriter (SQLite): `worker` (default) writes lookups from a thread of their own so their fsync
   * does not block the event loop; `inline` writes them on the main connection like every other write.
   */
  store: {
    kind: 'sqlite' | 'postgres';
    file: string;
    url?: string;
    schema?: string;
    poolSize?: number;
    lookupWriter?: 'worker' | 'inline';
  };
  policyDir: string;
  /** jwks: how issuers' key sets (jwksUri, discovery) are fetched, retried and kept (src/auth/remote-keys.ts). */
  auth: {
    audience: string;
    clockSkewSeconds: number;
    jwks?: { timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number };
  };
  demo: {
    enabled: boolean;
    accreditations: string;
    /** Seed the shared datasets with the adapters' example files. */ datasets?: boolean;
  };
  retention: { sweepIntervalSeconds: number };
  audit: { checkpoint: { everyEntries: number; everySeconds: number } };
  log: { level: 'error' | 'warn' | 'info' | 'debug' | 'silent' };
  /**
   * secureCookie: `auto` marks the session cookie Secure when the request came over TLS (the socket's,
   * or X-Forwarded-Proto from a proxy in server.trustProxy); `always` marks it Secure on every
   * answer (a TLS-terminating proxy that is not, or cannot be, listed as trusted). publicUrl: the portal's
   * origin as browsers see it, for the OpenID Connect redirect URIs. tokenSignIn: the pasted-token form.
   */
  portal: { secureCookie: 'auto' | 'always'; publicUrl?: string; tokenSignIn: boolean };
  /** Prometheus metrics (GET /metrics) on a listener of their own, never on the API's (src/metrics/). */
  metrics?: { enabled: boolean; host: string; port: number };
  /** Uses per window: per client address, failed authentications per address, lookups and other calls per person. */
  rateLimits?: RateLimitsConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The project root: where config/, policies/ and schemas/ live (also when running from dist/). */
export const PROJECT_ROOT = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);
export const DEFAULT_CONFIG_FILE = path.join(PROJECT_ROOT, 'config', 'default.yaml');

/** FSG_* variables and the key each one sets (values are strings; ajv coerces numbers and booleans). */
const ENV_KEYS: Record<string, string[]> = {
  FSG_HOST: ['server', 'host'],
  FSG_PORT: ['server', 'port'],
  FSG_TRUST_PROXY: ['server', 'trustProxy'],
  FSG_DATA_DIR: ['dataDir'],
  FSG_POLICY_DIR: ['policyDir'],
  FSG_AUDIENCE: ['auth', 'audience'],
  FSG_JWKS_TIMEOUT_MS: ['auth', 'jwks', 'timeoutMs'],
  FSG_JWKS_COOLDOWN_MS: ['auth', 'jwks', 'cooldownMs'],
  FSG_JWKS_CACHE_MAX_AGE_MS: ['auth', 'jwks', 'cacheMaxAgeMs'],
  FSG_DEMO: ['demo', 'enabled'],
  FSG_DEMO_DATASETS: ['demo', 'datasets'],
  FSG_LOG_LEVEL: ['log', 'level'],
  FSG_PORTAL_SECURE_COOKIE: ['portal', 'secureCookie'],
  FSG_PUBLIC_URL: ['portal', 'publicUrl'],
  FSG_PORTAL_TOKEN_SIGN_IN: ['portal', 'tokenSignIn'],
  FSG_STORE_LOOKUP_WRITER: ['store', 'lookupWriter'],
  FSG_STORE_KIND: ['store', 'kind'],
  FSG_DATABASE_URL: ['store', 'url'],
  FSG_DATABASE_SCHEMA: ['store', 'schema'],
  FSG_CHECKPOINT_EVERY_ENTRIES: ['audit', 'checkpoint', 'everyEntries'],
  FSG_CHECKPOINT_EVERY_SECONDS: ['audit', 'checkpoint', 'everySeconds'],
  FSG_METRICS_ENABLED: ['metrics', 'enabled'],
  FSG_METRICS_HOST: ['metrics', 'host'],
  FSG_METRICS_PORT: ['metrics', 'port'],
  FSG_RATE_LIMITS: ['rateLimits', 'enabled'],
};

const validate = createAjv({ coerceTypes: true }).compile<GatewayConfig>(schema);

/** Keys holding paths: relative ones are resolved against the folder of whoever set them. */
const PATH_KEYS = [['dataDir'], ['policyDir'], ['demo', 'accreditations']];

/**
 * Paths in config/default.yaml are relative to the project; paths from FSG_CONFIG's file or from
 * FSG_* variables are relative to the current folder.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GatewayConfig {
  let merged = resolvePaths(readYaml(DEFAULT_CONFIG_FILE), PROJECT_ROOT);
  if (env.FSG_CONFIG)
    merged = deepMerge(merged, resolvePaths(readYaml(path.resolve(cwd, env.FSG_CONFIG)), cwd));
  const fromEnv: Record<string, unknown> = {};
  for (const [name, keyPath] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(fromEnv, keyPath, parseEnvValue(name, value));
  }
  merged = deepMerge(merged, resolvePaths(fromEnv, cwd));
  if (!validate(merged)) {
    throw new ConfigError((validate.errors ?? []).map((e) => describeAjvError(e)));
  }
  return merged as unknown as GatewayConfig;
}

function resolvePaths(doc: Record<string, unknown>, base: string): Record<string, unknown> {
  for (const keyPath of PATH_KEYS) {
    const parent = keyPath
      .slice(0, -1)
      .reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), doc);
    const key = keyPath[keyPath.length - 1];
    if (isPlainObject(parent) && typeof parent[key] === 'string')
      parent[key] = path.resolve(base, parent[key]);
  }
  return doc;
}

function parseEnvValue(name: string, value: string): unknown {
  if (name === 'FSG_TRUST_PROXY') {
    return value === 'false'
      ? false
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  }
  return value;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([`${file}: cannot be read`]);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`));
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([`${file}: must hold a mapping of keys`]);
  }
  return value as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1]] = value;
}
