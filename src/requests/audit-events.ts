/**
 * The log entries of the request flow. They carry digests and keyed hashes, never raw identifiers or
 * personal data, so the log can be shown to every DPO concerned.
 */
import type { AuditEventInput } from '../audit/types';
import type { Identity } from '../auth/identity';
import { keyedHash } from '../config/secrets';
import type { CanonicalRecord } from '../records/canonical';
import type { IdentifierInput, SafeResult } from '../safes/types';
import { identifierKey } from '../identifiers';
import { loggedCompactly, providerOutside } from './denials';
import type { Preview, StoredRequest } from './types';

export type Actor = AuditEventInput['actor'];

export function actorOf(identity: Identity): Actor {
  return { userId: identity.userId, partnerId: identity.partnerId };
}

/** Keyed hashes of identifiers' index keys: a DPO searching for an identifier finds every entry. */
export function identifierHashes(key: Buffer, identifiers: IdentifierInput[]): string[] {
  return identifiers.map((i) => keyedHash(key, identifierKey(i.type, i.value)));
}

/** A list's count and one keyed digest of the whole of it, in order. */
function listDigest(key: Buffer, kind: string, list: unknown[]): { count: number; digest: string } {
  return { count: list.length, digest: keyedHash(key, `${kind}:${JSON.stringify(list)}`) };
}

/**
 * What the log keeps of the identifiers and record references a lookup or request names: a keyed hash
 * each, which a DPO can search by; or, for a request the agreement does not bound (loggedCompactly),
 * each list's count and one keyed digest, so that no caller can make one request write an entry, or
 * index rows, in proportion to what it sends.
 */
export function namedInLog(
  key: Buffer,
  named: { identifiers: IdentifierInput[]; recordRefs?: string[] },
  compact: boolean,
): Record<string, unknown> {
  const refs = named.recordRefs;
  if (compact) {
    return {
      identifiers: listDigest(
        key,
        'identifiers',
        named.identifiers.map((i) => [i.type, i.value]),
      ),
      ...(refs ? { recordRefs: listDigest(key, 'refs', refs) } : {}),
    };
  }
  return {
    identifierHashes: identifierHashes(key, named.identifiers),
    ...(refs ? { recordRefHashes: refs.map((ref) => keyedHash(key, `ref:${ref}`)) } : {}),
  };
}

/** Keyed hashes of the data subjects in the records (the owner), for "who saw data about X". */
export function subjectHashes(key: Buffer, records: CanonicalRecord[]): string[] {
  const names = records
    .map((r) => r.owner?.name?.trim().toLowerCase())
    .filter((n): n is string => Boolean(n));
  return [...new Set(names)].map((name) => keyedHash(key, `person:${name}`));
}

function base(request: StoredRequest, actor: Actor) {
  const provider = providerOutside(request.decision) ? [] : [request.input.providerId];
  return {
    actor,
    partners: [...new Set([request.requesterPartner, ...provider])],
    requestId: request.id,
    agreementId: request.input.agreementId,
  };
}

/** Each safe's outcome and reason codes: what the log keeps of a decision (messages stay out). */
export function safesSummary(decision: {
  safes: Record<string, SafeResult>;
}): Record<string, { outcome: string; codes: string[] }> {
  return Object.fromEntries(
    Object.entries(decision.safes).map(([safe, result]) => [
      safe,
      { outcome: result.outcome, codes: result.reasons.map((r) => r.code) },
    ]),
  );
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
