/**
 * The log entries of the partnership's records. Partners and agreements are named; what may hold
 * personal data (risk notes, contacts, an outcome's note, a reason) is kept only as the registry's keyed
 * digest.
 */
import type { AuditEventInput } from '../audit/types';
import type { RecordDigest } from './registry';
import type { Acceptance, Outcome, Screening } from './types';

export function screeningEvent(screening: Screening, digest: RecordDigest): AuditEventInput {
  return {
    type: 'partner.screening',
    actor: screening.reviewer,
    // The partner's DPO sees its own screenings; the reviewer's partner (the gateway) sees those it made.
    partners: [...new Set([screening.partnerId, screening.reviewer.partnerId])],
    outcome: screening.outcome,
    data: {
      partnerId: screening.partnerId,
      reviewedOn: screening.reviewedOn,
      nextReviewOn: screening.nextReviewOn,
      conditions: screening.conditions.length,
      recordDigest: digest(screening),
    },
  };
}

export function acceptanceEvent(acceptance: Acceptance, digest: RecordDigest): AuditEventInput {
  return {
    type: 'agreement.acceptance',
    actor: acceptance.by,
    partners: [acceptance.partnerId],
    agreementId: acceptance.agreementId,
    outcome: acceptance.action,
    data: {
      partnerId: acceptance.partnerId,
      version: acceptance.version,
      digest: acceptance.digest,
      confidentialityDigest: acceptance.confidentialityDigest,
      role: acceptance.role,
      ...(acceptance.reason === undefined ? {} : { reasonDigest: digest({ reason: acceptance.reason }) }),
    },
  };
}

export function outcomeEvent(outcome: Outcome, partners: string[], digest: RecordDigest): AuditEventInput {
  return {
    type: 'outcome.recorded',
    actor: outcome.by,
    partners,
    agreementId: outcome.agreementId,
    ...(outcome.source.kind === 'request' ? { requestId: outcome.source.id } : {}),
    outcome: outcome.kind,
    data: { source: outcome.source, kind: outcome.kind, noteDigest: digest({ note: outcome.note }) },
  };
}
