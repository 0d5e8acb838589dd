/** Detail requests in SQLite. Every write commits with its audit entries in one transaction. */
import type Database from 'better-sqlite3';
import type { AuditEventInput } from '../../audit/types';
import type { StoredRequest, RequestState } from '../../requests/types';
import type { RequestPatch, RequestStore } from '../port';
import {
  requestFromRow as fromRow,
  requestPatchParams as patchParams,
  requestToRow as toRow,
  type RequestRow,
} from '../rows/request';
import type { AppendInTx } from './audit';
import type { RunUnit } from './group-commit';

export function createRequests(
  db: Database.Database,
  appendInTx: AppendInTx,
  now: () => Date,
  unit: RunUnit,
): RequestStore {
  const insert = db.prepare<[RequestRow]>(
    `INSERT INTO requests (id, agreement_id, provider_id, dataset_id, requester_user, requester_partner, state,
       created_at, updated_at, expires_at, disclosed_at, purged_at, decline_reason, input, decision, preview,
       preview_version, disclosure, record_digests, question_id, question_text)
     VALUES (@id, @agreement_id, @provider_id, @dataset_id, @requester_user, @requester_partner, @state,
       @created_at, @updated_at, @expires_at, @disclosed_at, @purged_at, @decline_reason, @input, @decision,
       @preview, @preview_version, @disclosure, @record_digests, @question_id, @question_text)`,
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
  const byQuestion = db.prepare<[string], RequestRow>(
    'SELECT * FROM requests WHERE question_id = ? ORDER BY created_at, provider_id, id',
  );
  const lapsedStmt = db.prepare<[string], RequestRow>(
    `SELECT * FROM requests
     WHERE question_id IS NOT NULL AND state IN ('awaiting_provider', 'answered', 'withheld') AND expires_at <= ?
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
    async createAll(requests, events) {
      const rows = requests.map(toRow);
      return unit(() => {
        for (const row of rows) insert.run(row);
        appendInTx(events);
      });
    },
    async get(id) {
      return getSync(id);
    },
    async listByQuestion(questionId) {
      return byQuestion.all(questionId).map(fromRow);
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
    async listLapsedQuestions(at) {
      return lapsedStmt.all(at.toISOString()).map(fromRow);
    },
  };
}
