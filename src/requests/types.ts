import type { QuarantineEntry } from '../mapping/types';
import type { Handling } from '../policy/types';
import type { Decision, Reason, RequestInput } from '../safes/types';
import type { PublishedTable } from '../sdc';
import type { TableReview } from '../aggregates/tables';

/** A record as released: only the obligated fields, pseudonymised where the agreement says. */
export type ReleasedRecord = Record<string, unknown>;

/** Released records, or for an aggregate request the released table. */
export type Disclosure = ReleasedRecord[] | PublishedTable;

/** What the responder previewed: exactly what will leave on approval, and what the log will keep of it. */
export interface Preview {
  records: ReleasedRecord[];
  /** For aggregates: the table after statistical disclosure control, as it would be released. */
  table?: PublishedTable;
  /** For aggregates, the provider's eyes only: why each entry has its status. */
  tableReview?: TableReview;
  /** `review` (aggregates with negative or missing values) needs a responder's written exception. */
  outputCheck: { outcome: 'pass' | 'fail' | 'review'; reasons: Reason[] };
  /** Keyed hashes of the answer's identifiers and data subjects (the raw answer is not kept). */
  identifierHashes: string[];
  subjectHashes: string[];
  /** Rows of an upload in the responder's own format that did not map, with their reasons. */
  quarantine: QuarantineEntry[];
  /** The handling the responder set on approval (never looser than the agreement's). */
  handling?: Handling;
  /**
   * Who prepared the answer (four eyes: someone else approves it). For a table, the gateway prepares it
   * and this is its first approver.
   */
  preparedBy?: { partnerId: string; userId: string };
  /** A table's first approver's exception reason, when the table is under review (four eyes). */
  preparedReason?: string;
}

export type RequestState =
  | 'awaiting_provider'
  | 'answered'
  | 'disclosed'
  | 'expired'
  | 'denied'
  | 'declined'
  | 'withdrawn'
  | 'withheld';

/**
 * The decline reason of a provider that holds nothing on what it is asked: the analyst reads "no
 * information", not "declined" (POST /requests/:id/no-information).
 */
export const NO_INFORMATION = 'no-information';

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
  preview: Preview | null;
  /** How many times the preview was written (0: never). Approve names the version it approves. */
  previewVersion: number;
  /** What the analyst may read, until `expiresAt`; null before disclosure and after purge. */
  disclosure: Disclosure | null;
  disclosedAt: string | null;
  expiresAt: string | null;
  /** sha256 of each released record, kept after the payload is purged. */
  recordDigests: string[];
  declineReason: string | null;
  purgedAt: string | null;
  /**
   * A question to the partnership (src/questions): the request is one of a group, one per provider,
   * sharing the question's id and its short text. Absent for an ordinary request.
   */
  question?: { id: string; text: string };
}
