/** The partnership's own records: who was screened, who accepted which agreement, what sharing led to. */
import type { OutcomeKind } from '../policy/types';
import type { Person } from '../records/accreditation';

export const SCREENING_OUTCOMES = ['cleared', 'cleared-with-conditions', 'refused'] as const;
export type ScreeningOutcome = (typeof SCREENING_OUTCOMES)[number];

/** A partner's due-diligence record, kept by the gateway's admins; the newest one is in effect. */
export interface Screening {
  partnerId: string;
  /** The day of the review (ISO date). */
  reviewedOn: string;
  reviewer: Person;
  outcome: ScreeningOutcome;
  conditions: string[];
  riskNotes: string;
  /** The partner's point of contact for the partnership. */
  contact: { name: string; email: string; phone?: string };
  /** Past this day (in the agreement's time zone) the partner takes part in no exchange. */
  nextReviewOn: string;
}

/** A party's acceptance, or withdrawal, of one exact version of an agreement. */
export interface Acceptance {
  agreementId: string;
  partnerId: string;
  action: 'accept' | 'withdraw';
  version: number;
  /** The digest of the agreement as loaded (src/partnership/digest.ts): that exact text. */
  digest: string;
  /** The digest of the confidentiality commitment accepted with it (null when the agreement has none). */
  confidentialityDigest: string | null;
  by: Person;
  /** The role under which the person acted for their partner. */
  role: 'legal' | 'admin' | 'system';
  /** Why a withdrawal was made (the log keeps its digest only). */
  reason?: string;
}

/** What a disclosure or a hit led to, recorded by an analyst of the requesting partner. */
export interface Outcome {
  agreementId: string;
  /** The request (detail or table) or lookup it follows from. */
  source: { kind: 'request' | 'lookup'; id: string };
  kind: OutcomeKind;
  note: string;
  by: Person;
}

/** A partner's standing for exchanges on one day. */
export type ScreeningStanding =
  | { status: 'cleared'; screening: Screening }
  | { status: 'lapsed'; screening: Screening }
  | { status: 'refused'; screening: Screening }
  | { status: 'unscreened' };
