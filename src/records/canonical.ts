import type { Classification } from '../policy/types';

/**
 * An SIS-style object record: exactly one identifier; records of one physical object share `linkId`.
 * (The full per-category schemas come with the adapters; this is the shape the core releases.)
 */
export interface CanonicalRecord {
  sourceRef: string;
  linkId?: string;
  objectType: string;
  status: 'stolen' | 'missing' | 'registered' | 'recovered';
  identifier: { type: string; value: string };
  make?: string;
  model?: string;
  colour?: string;
  year?: number;
  theft?: { date?: string; place?: string };
  owner?: { name?: string; dateOfBirth?: string; address?: string; postcode?: string };
}

export interface FieldInfo {
  classification: Classification;
  /** Personal data about a data subject (GDPR / LED): never logged raw. */
  personal: boolean;
}

/** Every canonical field an agreement may allow, with its sensitivity. Unknown names fail the data safe. */
export const FIELD_CATALOGUE: Readonly<Record<string, FieldInfo>> = {
  sourceRef: { classification: 'internal', personal: false },
  linkId: { classification: 'internal', personal: false },
  objectType: { classification: 'public', personal: false },
  status: { classification: 'internal', personal: false },
  identifier: { classification: 'internal', personal: false },
  make: { classification: 'public', personal: false },
  model: { classification: 'public', personal: false },
  colour: { classification: 'public', personal: false },
  year: { classification: 'public', personal: false },
  'theft.date': { classification: 'internal', personal: false },
  'theft.place': { classification: 'internal', personal: false },
  'owner.name': { classification: 'restricted', personal: true },
  'owner.dateOfBirth': { classification: 'restricted', personal: true },
  'owner.address': { classification: 'confidential', personal: true },
  'owner.postcode': { classification: 'restricted', personal: true },
};

export function isKnownField(path: string): boolean {
  return Object.prototype.hasOwnProperty.call(FIELD_CATALOGUE, path);
}
