/**
 * The gateway's own keys, kept in the data folder and made on first start (mode 0600):
 * - identifier key: keyed hashes of identifiers and data subjects in the log (HMAC-SHA-256), so a DPO
 *   can search the log for "this VIN" without the log holding the VIN;
 * - pseudonym key: the root of per-agreement pseudonymisation keys (pseudonyms are unlinkable
 *   across agreements because each agreement gets its own derived key).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Secrets {
  identifierKey: Buffer;
  pseudonymKey: Buffer;
}

export function loadOrCreateSecrets(dataDir: string): Secrets {
  const dir = path.join(dataDir, 'keys');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    identifierKey: keyFile(path.join(dir, 'identifier.key')),
    pseudonymKey: keyFile(path.join(dir, 'pseudonym.key')),
  };
}

function keyFile(file: string): Buffer {
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file}: a key must hold at least 32 random bytes (base64)`);
  return key;
}

/** HMAC-SHA-256, hex: the keyed hash the log keeps instead of an identifier or a subject. */
export function keyedHash(key: Buffer, value: string): string {
  return crypto.createHmac('sha256', key).update(value).digest('hex');
}

/** The agreement's own pseudonymisation key, derived so that no two agreements share one. */
export function agreementPseudonymKey(root: Buffer, agreementId: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', root, Buffer.alloc(0), `fsg-pseudonym:${agreementId}`, 32));
}
