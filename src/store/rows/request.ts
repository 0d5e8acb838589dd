/** A detail request as a row of `requests`, the same columns in every engine. */
import type { RequestState, StoredRequest } from '../../requests/types';
import type { RequestPatch } from '../port';

export interface RequestRow {
  id: string;
  agreement_id: string;
  provider_id: string;
  dataset_id: string;
  requester_user: string;
  requester_partner: string;
  state: RequestState;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  disclosed_at: string | null;
  purged_at: string | null;
  decline_reason: string | null;
  input: string;
  decision: string;
  preview: string | null;
  preview_version: number;
  disclosure: string | null;
  record_digests: string;
  question_id: string | null;
  question_text: string | null;
}

/**
 * Timestamps are compared as text in SQL, which is only sound when every one has the same shape,
 * so they are stored as Date#toISOString() gives them (same instant, normalised form).
 */
function iso(value: string): string;
function iso(value: string | null): string | null;
function iso(value: string | null): string | null {
  if (value === null) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${value}`);
  return date.toISOString();
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function requestToRow(r: StoredRequest): RequestRow {
  return {
    id: r.id,
    agreement_id: r.input.agreementId,
    provider_id: r.input.providerId,
    dataset_id: r.input.datasetId,
    requester_user: r.requesterUser,
    requester_partner: r.requesterPartner,
    state: r.state,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    expires_at: iso(r.expiresAt),
    disclosed_at: iso(r.disclosedAt),
    purged_at: iso(r.purgedAt),
    decline_reason: r.declineReason,
    input: JSON.stringify(r.input),
    decision: JSON.stringify(r.decision),
    preview: json(r.preview),
    preview_version: r.previewVersion,
    disclosure: json(r.disclosure),
    record_digests: JSON.stringify(r.recordDigests),
    question_id: r.question?.id ?? null,
    question_text: r.question?.text ?? null,
  };
}

export function requestFromRow(row: RequestRow): StoredRequest {
  return {
    id: row.id,
    input: JSON.parse(row.input) as StoredRequest['input'],
    requesterUser: row.requester_user,
    requesterPartner: row.requester_partner,
    decision: JSON.parse(row.decision) as StoredRequest['decision'],
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    preview: row.preview === null ? null : (JSON.parse(row.preview) as StoredRequest['preview']),
    previewVersion: row.preview_version,
    disclosure: row.disclosure === null ? null : (JSON.parse(row.disclosure) as StoredRequest['disclosure']),
    disclosedAt: row.disclosed_at,
    expiresAt: row.expires_at,
    recordDigests: JSON.parse(row.record_digests) as string[],
    declineReason: row.decline_reason,
    purgedAt: row.purged_at,
    ...(row.question_id === null || row.question_id === undefined
      ? {}
      : { question: { id: row.question_id, text: row.question_text ?? '' } }),
  };
}

/**
 * Named parameters of the CAS update: a `set_x` flag says whether the patch carries field x;
 * `preview_version` is the version the request's preview must still have (null: any).
 */
export function requestPatchParams(
  id: string,
  from: RequestState[],
  patch: RequestPatch,
  now: string,
  previewVersion: number | undefined,
) {
  const has = (key: keyof RequestPatch) => (patch[key] === undefined ? 0 : 1);
  return {
    id,
    from: JSON.stringify(from),
    preview_version: previewVersion ?? null,
    state: patch.state,
    updated_at: now,
    set_preview: has('preview'),
    preview: json(patch.preview),
    set_disclosure: has('disclosure'),
    disclosure: json(patch.disclosure),
    set_disclosed_at: has('disclosedAt'),
    disclosed_at: iso(patch.disclosedAt ?? null),
    set_expires_at: has('expiresAt'),
    expires_at: iso(patch.expiresAt ?? null),
    set_record_digests: has('recordDigests'),
    record_digests: json(patch.recordDigests),
    set_decline_reason: has('declineReason'),
    decline_reason: patch.declineReason ?? null,
    set_purged_at: has('purgedAt'),
    purged_at: iso(patch.purgedAt ?? null),
  };
}
