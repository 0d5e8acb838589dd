import type { CanonicalRecord } from '../records/canonical';
import type { Decision, RequestInput } from '../safes/types';

export type RequestState =
  | 'awaiting_provider'
  | 'answered'
  | 'disclosed'
  | 'expired'
  | 'denied'
  | 'declined'
  | 'withdrawn'
  | 'withheld';

/** A detail request as the store keeps it. */
export interface StoredRequest {
  id: string;
  input: RequestInput;
  requesterUser: string;
  requesterPartner: string;
  decision: Decision;
  state: RequestState;
  createdAt: string;
  updatedAt: string;
  /** The released view the responder previewed (after obligations); null until answered. */
  preview: CanonicalRecord[] | null;
  /** What the analyst may read, until `expiresAt`; null before disclosure and after purge. */
  disclosure: CanonicalRecord[] | null;
  disclosedAt: string | null;
  expiresAt: string | null;
  /** sha256 of each released record, kept after the payload is purged. */
  recordDigests: string[];
  declineReason: string | null;
  purgedAt: string | null;
}
