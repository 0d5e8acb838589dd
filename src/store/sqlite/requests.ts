/** Detail requests in SQLite. Every write commits with its audit entries in one transaction. */
import type Database from 'better-sqlite3';
import type { AuditEventInput } from '../../audit/types';
import type { StoredRequest, RequestState } from '../../requests/types';
import type { RequestPatch, RequestStore } from '../port';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';

interface RequestRow {
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

function toRow(r: StoredRequest): RequestRow {
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
  };
}

function fromRow(row: RequestRow): StoredRequest {
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
  };
}

/**
 * Named parameters of the CAS update: a `set_x` flag says whether the patch carries field x;
 * `preview_version` is the version the request's preview must still have (null: any).
 */
function patchParams(
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

export function createRequests(
  db: Database.Database,
  appendInTx: AppendInTx,
  now: () => Date,
  unit: RunUnit,
): RequestStore {
  const insert = db.prepare<[RequestRow]>(
    `INSERT INTO requests (id, agreement_id, provider_id, dataset_id, requester_user, requester_partner, state,
       created_at, updated_at, expires_at, disclosed_at, purged_at, decline_reason, input, decision, preview,
       preview_version, disclosure, record_digests)
     VALUES (@id, @agreement_id, @provider_id, @dataset_id, @requester_user, @requester_partner, @state,
       @created_at, @updated_at, @expires_at, @disclosed_at, @purged_at, @decline_reason, @input, @decision,
       @preview, @preview_version, @disclosure, @record_digests)`,
  );
  const getStmt = db.prepare<[string], RequestRow>('SELECT * FROM requests WHERE id = ?');
  const byPartner = db.prepare<[string], RequestRow>(
    'SELECT * FROM requests WHERE requester_partner = ? ORDER BY created_at DESC, id DESC',
  );
  const byUser = db.prepare<[string, string], RequestRow>(
    'SELECT * FROM requests WHERE requester_user = ? AND requester_partner = ? ORDER BY created_at DESC, id DESC',
  );
  // The state list is bound as one JSON array parameter, so the statement text never varies.
  const byProvider = db.prepare<[string, string], RequestRow>(
    `SELECT * FROM requests
     WHERE provider_id = ? AND state IN (SELECT value FROM json_each(?))
     ORDER BY created_at, id`,
  );
  const countStmt = db.prepare<[string, string, string, string], { n: number }>(
    `SELECT count(*) AS n FROM requests
     WHERE requester_user = ? AND requester_partner = ? AND agreement_id = ? AND created_at >= ?`,
  );
  const expiredStmt = db.prepare<[string], RequestRow>(
    `SELECT * FROM requests
     WHERE state = 'disclosed' AND purged_at IS NULL AND expires_at <= ?
     ORDER BY expires_at, id`,
  );
  const update = db.prepare<[ReturnType<typeof patchParams>]>(
    `UPDATE requests SET
       state = @state,
       updated_at = @updated_at,
       preview = CASE WHEN @set_preview THEN @preview ELSE preview END,
       preview_version = preview_version + @set_preview,
       disclosure = CASE WHEN @set_disclosure THEN @disclosure ELSE disclosure END,
       disclosed_at = CASE WHEN @set_disclosed_at THEN @disclosed_at ELSE disclosed_at END,
       expires_at = CASE WHEN @set_expires_at THEN @expires_at ELSE expires_at END,
       record_digests = CASE WHEN @set_record_digests THEN @record_digests ELSE record_digests END,
       decline_reason = CASE WHEN @set_decline_reason THEN @decline_reason ELSE decline_reason END,
       purged_at = CASE WHEN @set_purged_at THEN @purged_at ELSE purged_at END
     WHERE id = @id AND state IN (SELECT value FROM json_each(@from))
       AND (@preview_version IS NULL OR preview_version = @preview_version)`,
  );

  const getSync = (id: string): StoredRequest | undefined => {
    const row = getStmt.get(id);
    return row ? fromRow(row) : undefined;
  };

  const transition = (
    id: string,
    from: RequestState[],
    patch: RequestPatch,
    events: (updated: StoredRequest, previous: RequestState) => AuditEventInput[],
    previewVersion: number | undefined,
  ): StoredRequest | undefined => {
    // Read inside the write transaction: no other writer can move the request between this and the CAS.
    const previous = getSync(id)?.state;
    // Compare-and-set: zero rows changed means someone else moved the request (or rewrote its preview)
    // first; log nothing.
    const params = patchParams(id, from, patch, now().toISOString(), previewVersion);
    if (update.run(params).changes === 0) return undefined;
    const updated = getSync(id);
    if (!updated || !previous) throw new Error(`request ${id} vanished inside its own transaction`);
    appendInTx(events(updated, previous));
    return updated;
  };

  return {
    async create(request, events) {
      // toRow checks the timestamps now, so a malformed one fails the call, not the group.
      const row = toRow(request);
      return unit(() => {
        insert.run(row);
        appendInTx(events);
      });
    },
    async get(id) {
      return getSync(id);
    },
    async listByRequester(partnerId, userId) {
      const rows = userId === undefined ? byPartner.all(partnerId) : byUser.all(userId, partnerId);
      return rows.map(fromRow);
    },
    async listByProvider(providerId, states) {
      if (states.length === 0) return [];
      return byProvider.all(providerId, JSON.stringify(states)).map(fromRow);
    },
    async transition(id, from, patch, events, previewVersion) {
      if (from.length === 0) return undefined;
      return unit(() => transition(id, from, patch, events, previewVersion));
    },
    async countSince(partnerId, userId, agreementId, since) {
      return countStmt.get(userId, partnerId, agreementId, since.toISOString())?.n ?? 0;
    },
    async listExpired(at) {
      return expiredStmt.all(at.toISOString()).map(fromRow);
    },
  };
}
