import type { Classification } from '../policy/types';

/** Object categories of SIS Regulation 2018/1862 Art. 38(2) this gateway carries. */
export const OBJECT_TYPES = ['boat', 'boat-engine', 'vehicle', 'vehicle-part'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Identifier types, and which object types may carry each (schemas/sis/*.schema.json agree). */
export const IDENTIFIER_TYPES = {
  hin: ['boat'],
  'boat-registration': ['boat'],
  vin: ['vehicle'],
  'vehicle-registration': ['vehicle'],
  'engine-serial': ['boat-engine', 'vehicle-part'],
  'part-serial': ['vehicle-part'],
} as const satisfies Record<string, readonly ObjectType[]>;
export type IdentifierType = keyof typeof IDENTIFIER_TYPES;

/**
 * An SIS-style object record: exactly one identifier; records of one physical object share `linkId`.
 * Schemas: schemas/sis/record.schema.json (common) and one per object type.
 */
export interface CanonicalRecord {
  sourceRef: string;
  linkId?: string;
  objectType: ObjectType;
  status: 'stolen' | 'missing' | 'registered' | 'recovered';
  identifier: { type: string; value: string };
  /** A vessel's name (boats only). */
  name?: string;
  /** What an identifiable part is (vehicle parts only), e.g. "engine", "gearbox". */
  partKind?: string;
  make?: string;
  model?: string;
  colour?: string;
  year?: number;
  /** An engine's power in kW. */
  powerKw?: number;
  /** What the object is insured for, in euros (an insurer's claim). */
  insuredValue?: number;
  /** What the object was sold for, in euros (a dealer's sale). */
  salePrice?: number;
  theft?: { date?: string; place?: string };
  /** The last known owner: personal data, released only as an agreement allows. `since` = acquired on. */
  owner?: { name?: string; dateOfBirth?: string; address?: string; postcode?: string; since?: string };
}

export interface FieldInfo {
  classification: Classification;
  /** Personal data about a data subject (GDPR / LED): never logged raw. */
  personal: boolean;
  /** Can be summed in an aggregate. */
  numeric?: boolean;
  /**
   * Names one object or one person (or is the gateway's handle on one): never a table's dimension or
   * measure, whatever an agreement says, since a table by it lists the dataset row by row.
   */
  identifying?: boolean;
}

/** Every canonical field an agreement may allow, with its sensitivity. Unknown names fail the data safe. */
export const FIELD_CATALOGUE: Readonly<Record<string, FieldInfo>> = {
  sourceRef: { classification: 'internal', personal: false, identifying: true },
  linkId: { classification: 'internal', personal: false, identifying: true },
  objectType: { classification: 'public', personal: false },
  status: { classification: 'internal', personal: false },
  identifier: { classification: 'internal', personal: false, identifying: true },
  name: { classification: 'internal', personal: false, identifying: true },
  partKind: { classification: 'public', personal: false },
  make: { classification: 'public', personal: false },
  model: { classification: 'public', personal: false },
  colour: { classification: 'public', personal: false },
  year: { classification: 'public', personal: false, numeric: true },
  powerKw: { classification: 'public', personal: false, numeric: true },
  insuredValue: { classification: 'internal', personal: false, numeric: true },
  salePrice: { classification: 'internal', personal: false, numeric: true },
  'theft.date': { classification: 'internal', personal: false },
  'theft.place': { classification: 'internal', personal: false },
  'owner.name': { classification: 'restricted', personal: true, identifying: true },
  'owner.dateOfBirth': { classification: 'restricted', personal: true },
  'owner.address': { classification: 'confidential', personal: true, identifying: true },
  'owner.postcode': { classification: 'restricted', personal: true },
  'owner.since': { classification: 'restricted', personal: true },
};

export function isKnownField(path: string): boolean {
  return Object.prototype.hasOwnProperty.call(FIELD_CATALOGUE, path);
}
