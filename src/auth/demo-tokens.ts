/**
 * Mints tokens with the demo issuers' (publicly known) private keys, for local runs and tests.
 * The verifier only trusts these issuers while `demo.enabled` is on.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { SignJWT } from 'jose';
import type { Partner } from '../policy/types';
import { maxTokenLifetimeOf } from './assurance';
import { assertKeyFitsAlgorithm } from './verifier';

export interface DemoTokenOptions {
  userId: string;
  partner: Partner;
  /** Folder the issuer's publicKey path is relative to (the policy bundle folder). */
  bundleDir: string;
  audience: string;
  ttlSeconds: number;
  /** Adds a second authentication method (`otp`): the demo issuers count `pwd` + `otp` as MFA. */
  mfa: boolean;
  now?: Date;
}

/** Demo tokens live at most a day, so a leaked one stops working soon. */
export const MAX_DEMO_TTL_SECONDS = 24 * 60 * 60;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "30s", "15m", "1h", "1d" → seconds; at most 24 hours. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (!match) {
    throw new Error(
      `Invalid TTL "${text}": use a whole number followed by s, m, h or d, e.g. "15m" or "1h".`,
    );
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  if (seconds <= 0) throw new Error(`Invalid TTL "${text}": it must be longer than zero.`);
  if (seconds > MAX_DEMO_TTL_SECONDS) throw new Error(`Invalid TTL "${text}": at most 24h is allowed.`);
  return seconds;
}

function loadPrivateKey(partnerId: string, publicKeyPath: string, bundleDir: string): KeyObject {
  // Convention: the private key sits next to the public one, X.pub.pem → X.key.pem.
  if (!publicKeyPath.endsWith('.pub.pem')) {
    throw new Error(`Partner ${partnerId}: demo public key ${publicKeyPath} is not named *.pub.pem.`);
  }
  const file = path.resolve(bundleDir, publicKeyPath.slice(0, -'.pub.pem'.length) + '.key.pem');
  try {
    return createPrivateKey(readFileSync(file));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Partner ${partnerId}: cannot load demo private key ${file}: ${reason}`, { cause: err });
  }
}

export async function issueDemoToken(opts: DemoTokenOptions): Promise<string> {
  const { partner } = opts;
  const issuer = partner.issuers.find((i) => i.demo === true);
  if (!issuer) throw new Error(`Partner ${partner.id} has no demo issuer, so no demo token can be issued.`);
  if (!opts.userId) throw new Error('A demo token needs a user id.');
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0 || opts.ttlSeconds > MAX_DEMO_TTL_SECONDS) {
    throw new Error(`ttlSeconds must be a whole number between 1 and ${MAX_DEMO_TTL_SECONDS}.`);
  }
  // A token its own issuer would not accept helps nobody: say so here, not with a 401 later.
  const maxLifetime = maxTokenLifetimeOf(issuer);
  if (opts.ttlSeconds > maxLifetime) {
    throw new Error(`Partner ${partner.id}'s demo issuer accepts tokens of at most ${maxLifetime} seconds.`);
  }

  if (!issuer.publicKey || !issuer.algorithm) {
    throw new Error(`Partner ${partner.id}'s demo issuer has no static key, so no demo token can be issued.`);
  }
  const key = loadPrivateKey(partner.id, issuer.publicKey, opts.bundleDir);
  assertKeyFitsAlgorithm(issuer.algorithm, key, `Partner ${partner.id}, demo issuer ${issuer.iss}`);

  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ auth_time: now, amr: opts.mfa ? ['pwd', 'otp'] : ['pwd'] })
    .setProtectedHeader({ alg: issuer.algorithm, typ: 'JWT' })
    .setIssuer(issuer.iss)
    .setAudience(opts.audience)
    .setSubject(opts.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + opts.ttlSeconds)
    .setJti(randomUUID())
    .sign(key);
}
