/**
 * Detail requests in PostgreSQL. Every write commits with its audit entries in one transaction under
 * the log's lock (ctx.logged); a transition is besides a compare-and-set on the request's row, which
 * it locks before reading the state it leaves.
 */
import type { RequestState, StoredRequest } from '../../requests/types';
import type { RequestStore } from '../port';
import { requestFromRow, requestPatchParams, requestToRow, type RequestRow } from '../rows/request';
import type { PgContext } from './context';

/** Every column, in the order the insert binds them. */
const COLUMNS = [
  'id',
  'agreement_id',
  'provider_id',
  'dataset_id',
  'requester_user',
  'requester_partner',
  'state',
  'created_at',
  'updated_at',
  'expires_at',
  'disclosed_at',
  'purged_at',
  'decline_reason',
  'input',
  'decision',
  'preview',
  'preview_version',
  'disclosure',
  'record_digests',
  'question_id',
  'question_text',
] as const satisfies readonly (keyof RequestRow)[];

const INSERT = `INSERT INTO requests (${COLUMNS.join(', ')})
  VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/** The fields a patch may carry, by column: each is set only when the patch carries it. */
const PATCHED = [
  'preview',
  'disclosure',
  'disclosed_at',
  'expires_at',
  'record_digests',
  'decline_reason',
  'purged_at',
] as const;

/**
 * The compare-and-set: $1 the id, $2 the states it may leave, $3 the preview version it must still
 * have (null: any), $4 the new state, $5 updated_at; then for each patched column a flag saying
 * whether the patch carries it and its value. A preview written ($6, the first flag) adds one to its
 * version.
 */
const UPDATE = `UPDATE requests SET
    state = $4,
    updated_at = $5,
    ${PATCHED.map((column, i) => `${column} = CASE WHEN $${6 + 2 * i}::boolean THEN $${7 + 2 * i}::text ELSE ${column} END`).join(',\n    ')},
    preview_version = preview_version + CASE WHEN $6::boolean THEN 1 ELSE 0 END
  WHERE id = $1 AND state = ANY ($2::text[]) AND ($3::integer IS NULL OR preview_version = $3::integer)
  RETURNING *`;

export function createPgRequests(ctx: PgContext): RequestStore {
  const select = async (where: string, values: unknown[]): Promise<StoredRequest[]> =>
    (await ctx.query<RequestRow>(`SELECT * FROM requests WHERE ${where}`, values)).rows.map(requestFromRow);

  const createAll: RequestStore['createAll'] = async (requests, events) => {
    // requestToRow checks the timestamps first: a malformed one fails the call before any write.
    const rows = requests.map(requestToRow);
    return ctx.logged(async (client, append) => {
      for (const r of rows) {
        await client.query(
          INSERT,
          COLUMNS.map((column) => r[column]),
        );
      }
      await append(events);
    });
  };

  return {
    async create(request, events) {
      return createAll([request], events);
    },
    createAll,
    async get(id) {
      return (await select('id = $1', [id]))[0];
    },
    async listByQuestion(questionId) {
      return select('question_id = $1 ORDER BY created_at, provider_id, id', [questionId]);
    },
    async listByRequester(partnerId, userId) {
      return userId === undefined
        ? select('requester_partner = $1 ORDER BY created_at DESC, id DESC', [partnerId])
        : select('requester_partner = $1 AND requester_user = $2 ORDER BY created_at DESC, id DESC', [
            partnerId,
            userId,
          ]);
    },
    async listByProvider(providerId, states) {
      if (states.length === 0) return [];
      return select('provider_id = $1 AND state = ANY ($2::text[]) ORDER BY created_at, id', [
        providerId,
        states,
      ]);
    },
    async transition(id, from, patch, events, previewVersion) {
      if (from.length === 0) return undefined;
      // Checked before the transaction: a malformed timestamp fails the call, nothing is written.
      const p = requestPatchParams(id, from, patch, ctx.now().toISOString(), previewVersion);
      return ctx.logged(async (client, append) => {
        // The row is locked before its state is read: no other writer moves it between this and the
        // compare-and-set, so `previous` is the state the update leaves.
        const { rows: locked } = await client.query<{ state: RequestState }>(
          'SELECT state FROM requests WHERE id = $1 FOR UPDATE',
          [id],
        );
        if (locked.length === 0) return undefined;
        const { rows } = await client.query<RequestRow>(UPDATE, [
          id,
          from,
          p.preview_version,
          p.state,
          p.updated_at,
          ...PATCHED.flatMap((column) => [p[`set_${column}`] === 1, p[column]]),
        ]);
        // Zero rows: someone else moved the request (or rewrote its preview) first; log nothing.
        if (rows.length === 0) return undefined;
        const updated = requestFromRow(rows[0]);
        await append(events(updated, locked[0].state));
        return updated;
      });
    },
    async countSince(partnerId, userId, agreementId, since) {
      const { rows } = await ctx.query<{ n: number }>(
        `SELECT count(*) AS n FROM requests
          WHERE requester_user = $1 AND requester_partner = $2 AND agreement_id = $3 AND created_at >= $4`,
        [userId, partnerId, agreementId, since.toISOString()],
      );
      return rows[0].n;
    },
    async listExpired(at) {
      return select(
        `state = 'disclosed' AND purged_at IS NULL AND expires_at <= $1 ORDER BY expires_at, id`,
        [at.toISOString()],
      );
    },
    async listLapsedQuestions(at) {
      return select(
        `question_id IS NOT NULL AND state = ANY ('{awaiting_provider,answered,withheld}'::text[])
           AND expires_at <= $1 ORDER BY expires_at, id`,
        [at.toISOString()],
      );
    },
  };
}
