/**
 * The log entries of the request flow. They carry digests and keyed hashes, never raw identifiers or
 * personal data, so the log can be shown to every DPO concerned.
 */
import { namedInLog, safesSummary, type Actor } from '../audit/entry-fields';
import type { AuditEventInput } from '../audit/types';
import { loggedCompactly, providerOutside } from './denials';
import type { Preview, StoredRequest } from './types';

function base(request: StoredRequest, actor: Actor) {
  const provider = providerOutside(request.decision) ? [] : [request.input.providerId];
  return {
    actor,
    partners: [...new Set([request.requesterPartner, ...provider])],
    requestId: request.id,
    agreementId: request.input.agreementId,
  };
}

export function decisionEvent(request: StoredRequest, actor: Actor, identifierKey: Buffer): AuditEventInput {
  const { decision, input } = request;
  return {
    ...base(request, actor),
    type: 'decision',
    outcome: decision.outcome,
    data: {
      policyDigest: decision.policyDigest,
      agreementVersion: decision.agreementVersion,
      // A table among the requests (the partnership's report counts them apart).
      ...(input.kind === 'aggregate' ? { kind: 'aggregate' } : {}),
      safes: safesSummary(decision),
      providerId: input.providerId,
      datasetId: input.datasetId,
      purpose: input.purpose,
      caseRef: input.caseRef,
      fields: input.fields,
      ...namedInLog(identifierKey, input, loggedCompactly(decision)),
      obligations: decision.obligations,
    },
  };
}

export function stateEvent(
  request: StoredRequest,
  actor: Actor,
  from: string | null,
  data: Record<string, unknown> = {},
): AuditEventInput {
  return {
    ...base(request, actor),
    type: 'request.state',
    outcome: request.state,
    data: { from, to: request.state, ...data },
  };
}

/**
 * The most subject hashes one `disclosure.subjects` entry holds: a table over a large dataset is
 * logged in several entries, so that no entry (nor its line in an export, a verify or a receipt's
 * proof path) grows with the dataset.
 */
export const SUBJECTS_PER_ENTRY = 1000;

/**
 * A disclosure's log entries. A table's data subjects go in entries of their own
 * (`disclosure.subjects`, found by "who saw data about X"), not in the disclosure entry: that entry is
 * the analyst's receipt, and the hashes would give the analyst an exact, unrounded count of
 * contributors and a way to link tables by person. They name the provider only (its DPO and a
 * supervisor's find them), and the gateway as their actor. They are sorted, which also keeps the records'
 * order out of the log, and split into parts of at most SUBJECTS_PER_ENTRY, appended with the
 * disclosure in one transaction.
 */
export function disclosureEvents(
  request: StoredRequest,
  actor: Actor,
  preview: Preview,
  extra: Record<string, unknown> = {},
): AuditEventInput[] {
  if (!preview.table) return [disclosureEvent(request, actor, preview, extra)];
  const disclosure = disclosureEvent(request, actor, { ...preview, subjectHashes: [] }, extra);
  const hashes = [...new Set(preview.subjectHashes)].sort();
  const parts = Math.ceil(hashes.length / SUBJECTS_PER_ENTRY);
  const subjects = Array.from({ length: parts }, (_, i) => ({
    // The gateway's record, for the provider's side (and a supervisor) only: the requester's DPO could
    // otherwise search it by name, learning whether a person is in the provider's data, and count the
    // contributors exactly.
    ...base(request, 'system'),
    partners: [request.input.providerId],
    type: 'disclosure.subjects',
    outcome: 'disclosed',
    data: {
      kind: 'aggregate',
      part: i + 1,
      parts,
      subjectHashes: hashes.slice(i * SUBJECTS_PER_ENTRY, (i + 1) * SUBJECTS_PER_ENTRY),
    },
  }));
  return [disclosure, ...subjects];
}

function disclosureEvent(
  request: StoredRequest,
  actor: Actor,
  preview: Preview,
  extra: Record<string, unknown>,
): AuditEventInput {
  const { obligations } = request.decision;
  return {
    ...base(request, actor),
    type: 'disclosure',
    outcome: 'disclosed',
    data: {
      policyDigest: request.decision.policyDigest,
      purpose: request.input.purpose,
      caseRef: request.input.caseRef,
      recipients: [{ partnerId: request.requesterPartner, userId: request.requesterUser }],
      recordDigests: request.recordDigests,
      identifierHashes: preview.identifierHashes,
      subjectHashes: preview.subjectHashes,
      fieldsReleased: obligations.fields,
      pseudonymised: obligations.pseudonymise,
      handling: preview.handling ?? obligations.handling,
      expiresAt: request.expiresAt,
      ...(preview.table ? { kind: 'aggregate', sdc: preview.outputCheck.outcome } : {}),
      ...extra,
    },
  };
}
