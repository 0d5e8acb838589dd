/**
 * The digest of an agreement version: SHA-256 of the RFC 8785 canonical JSON of the agreement as loaded.
 * An acceptance names it, so a party accepts that exact text; any change, even without a new version
 * number, needs every party's acceptance again.
 */
import crypto from 'node:crypto';
import { canonicalJson } from '../audit/chain';
import type { Agreement } from '../policy/types';

const digests = new WeakMap<Agreement, string>();

export function agreementDigest(agreement: Agreement): string {
  let digest = digests.get(agreement);
  if (digest === undefined) {
    digest = sha256(canonicalJson(agreement));
    digests.set(agreement, digest);
  }
  return digest;
}

/** The digest of the agreement's confidentiality commitment, accepted with it; null when it has none. */
export function confidentialityDigest(agreement: Agreement): string | null {
  return agreement.confidentiality === undefined ? null : sha256(agreement.confidentiality);
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
