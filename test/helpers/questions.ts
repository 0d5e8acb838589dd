/** Questions to the partnership in tests: a question anna may ask, and a bundle with three providers. */
import path from 'node:path';
import { edit } from './bundle-copy';
import { fourEyesBundle } from './four-eyes';

/** A question anna may put to the providers of stolen-boats. */
export function boatQuestion(overrides: Record<string, unknown> = {}) {
  return {
    agreementId: 'stolen-boats',
    purpose: 'stolen-property-investigation',
    caseRef: 'NL-2026-000777',
    identifiers: [{ type: 'hin', value: 'NL-HXAB7A33G293' }],
    text: 'Taken from a marina near Lelystad last week. Seen or insured anywhere?',
    ...overrides,
  };
}

/**
 * A copy of the demo bundle whose stolen-boats agreement has a third provider, autodealers-nl (dirk
 * answers), sharing a register of boat engines.
 */
export function threeProviderBundle(): string {
  const dir = fourEyesBundle(false);
  const file = path.join(dir, 'agreements', 'stolen-boats.yaml');
  edit(file, 'providers: [boatreg-nl, insureco]', 'providers: [boatreg-nl, insureco, autodealers-nl]');
  edit(
    file,
    /^datasets:\n/m,
    `datasets:
  - id: engine-sales
    provider: autodealers-nl
    objectTypes: [boat-engine]
    classification: restricted
    fields: [sourceRef, linkId, objectType, status, identifier, make, model, year]
    pseudonymise: []
`,
  );
  return dir;
}
