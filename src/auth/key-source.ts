/**
 * Where an issuer's keys come from: one static key (publicKey with its algorithm), or a key set with the
 * algorithms its tokens may use, at a jwksUri or through discovery. Exactly one of these per entry; the
 * bundle loader and the verifier both refuse any other, with the same words.
 */
import type { IssuerConfig } from '../policy/types';

export type KeySource = 'static' | 'jwksUri' | 'discovery';

/** The entry's source of keys, or what is wrong with it. */
export function keySourceOf(issuer: IssuerConfig): { source: KeySource } | { problem: string } {
  const staticKey = issuer.publicKey !== undefined || issuer.algorithm !== undefined;
  const keySet = issuer.jwksUri !== undefined || issuer.algorithms !== undefined || issuer.discovery === true;
  if (staticKey === keySet) {
    return {
      problem:
        'give either publicKey with algorithm, or algorithms with jwksUri or discovery (exactly one of the two)',
    };
  }
  if (staticKey) {
    return issuer.publicKey && issuer.algorithm
      ? { source: 'static' }
      : { problem: 'a static key needs both publicKey and algorithm' };
  }
  if (issuer.discovery && issuer.jwksUri !== undefined) {
    return { problem: 'discovery finds the key set itself; give jwksUri or discovery, not both' };
  }
  if (!issuer.jwksUri && !issuer.discovery) return { problem: 'algorithms without a jwksUri or discovery' };
  if (!issuer.algorithms || issuer.algorithms.length === 0) {
    return {
      problem: 'a key set (jwksUri or discovery) needs the algorithms its tokens may use (algorithms: [...])',
    };
  }
  return { source: issuer.discovery ? 'discovery' : 'jwksUri' };
}
