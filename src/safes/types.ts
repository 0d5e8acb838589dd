import type { Accreditation } from '../records/accreditation';
import type { AggregateQuery } from '../aggregates/query';
import type { Generalisation, Handling } from '../policy/types';
import type { PartnershipFacts } from '../partnership/standing';

export type SafeName = 'people' | 'project' | 'setting' | 'data' | 'output';
export const SAFE_NAMES: readonly SafeName[] = ['people', 'project', 'setting', 'data', 'output'];

export interface IdentifierInput {
  type: string;
  value: string;
}

/**
 * What an analyst asks for: a detail request (POST /api/v1/requests) or a hit/no-hit lookup
 * (POST /api/v1/lookups, which names no provider, dataset or fields).
 */
export interface RequestInput {
  /** Absent means a detail request. */
  kind?: 'detail' | 'lookup' | 'aggregate';
  /** For aggregates: the table asked for (its fields are also listed in `fields`). */
  query?: AggregateQuery;
  /** A named team of the requesting partner that may read the disclosure too. */
  recipients?: { team: string };
  agreementId: string;
  providerId: string;
  datasetId: string;
  identifiers: IdentifierInput[];
  recordRefs: string[];
  fields: string[];
  purpose: string;
  caseRef: string;
}

/** Facts about the call that the safes need and the token does not carry. */
export interface DecisionContext {
  now: Date;
  /** The client address as the gateway sees it (proxy headers only when configured). */
  sourceIp: string;
  tls: boolean;
  /** The caller's registry entry; undefined when the user is unknown to the gateway. */
  accreditation: Accreditation | undefined;
  /** Requests this user already made under the agreement since local midnight. */
  requestsToday: number;
  /** Partners' screenings and the agreements' acceptances (src/partnership). */
  partnership: PartnershipFacts;
}

export interface Reason {
  code: string;
  message: string;
}

export interface SafeResult {
  outcome: 'pass' | 'fail';
  reasons: Reason[];
}

/** What the answer must satisfy before anything leaves. */
export interface Obligations {
  /** Only these fields are released (requested ∩ allowed). */
  fields: string[];
  /** Released as keyed pseudonyms under the agreement's key. */
  pseudonymise: string[];
  /** Released generalised: a date to its year, a postcode to its district. */
  generalise: Record<string, Generalisation>;
  maxRecords: number;
  /** Who may read the disclosure: the requesting analyst, and the named team of their partner if any. */
  recipients: { user: string; team: string | null };
  handling: Handling;
  retentionDays: number;
}

export interface Decision {
  outcome: 'permit' | 'deny';
  safes: Record<SafeName, SafeResult>;
  obligations: Obligations;
  policyDigest: string;
  agreementVersion: number | null;
  decidedAt: string;
}
