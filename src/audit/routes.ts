/**
 * The DPO API under /api/v1/audit. Reading the log needs `audit:read`, exporting it `audit:export`
 * (policies/policy.csv: the dpo role of every partner). The checkpoint public key is served to any
 * verified partner token: analysts and responders verify their receipts with it, and it is no secret;
 * it is not public only because this API answers nobody outside the partnership.
 */
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { createAjv } from '../config/ajv';
import { ajvPointer } from '../config/schema-errors';
import { logTimestamp, TIMESTAMP_RULE } from '../http/timestamps';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { OBJECT_SCHEMA, ITEMS_SCHEMA } from '../http/openapi';
import { PERSON } from '../records/accreditation';
import auditEventsSchema from '../../schemas/api/audit-events.schema.json';
import { CONTENT_TYPES, ExportAborted, type ExportFormat } from './export';
import type { AuditService } from './service';

const ajv = createAjv({ coerceTypes: true });
// from/to are read by the one date reader: no leap second, no year past 9999 (filters compare as text).
ajv.addFormat('log-time', { type: 'string', validate: (text: string) => logTimestamp(text) !== undefined });

/**
 * Query strings validated like bodies: every problem with its pointer, 400 problem+json. The validator
 * carries its properties: the API description shows those.
 */
function queryValidator<T>(
  properties: Record<string, object>,
): ((query: unknown) => T) & { readonly properties: Record<string, object> } {
  const validate = ajv.compile<T>({ type: 'object', additionalProperties: false, properties });
  const check = (query: unknown): T => {
    const copy: Record<string, unknown> = { ...(query as Record<string, unknown>) };
    if (validate(copy)) return copy as T;
    const errors = (validate.errors ?? []).map((e) => ({
      pointer: ajvPointer(e),
      detail:
        e.keyword === 'format' && e.params.format === 'log-time'
          ? TIMESTAMP_RULE
          : (e.message ?? 'is invalid'),
    }));
    throw problems.badRequest('The query is invalid.', { errors });
  };
  return Object.assign(check, { properties });
}

const TIME = { type: 'string', format: 'log-time', maxLength: 40 };
const PARTNER = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' };
const AGREEMENT = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' };
const SIZE = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };

interface EventsQuery {
  from?: string;
  to?: string;
  partner?: string;
  user?: string;
  agreement?: string;
  request?: string;
  type?: string;
  outcome?: string;
  identifier?: string;
  subject?: string;
  cursor?: string;
  limit?: number;
  order?: 'asc' | 'desc';
}

const validateEvents = queryValidator<EventsQuery>({
  from: TIME,
  to: TIME,
  partner: PARTNER,
  // The actor as partner:user: a user id is unique only within its partner.
  user: { type: 'string', pattern: PERSON.source },
  agreement: AGREEMENT,
  request: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
  type: { type: 'string', pattern: '^[a-z][a-z.-]*(,[a-z][a-z.-]*)*$', maxLength: 500 },
  outcome: { type: 'string', pattern: '^[A-Za-z_-]{1,64}$' },
  identifier: { type: 'string', pattern: '^[a-z][a-z0-9-]*:\\S.*$', maxLength: 200 },
  subject: { type: 'string', minLength: 1, maxLength: 200 },
  cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' },
  limit: { type: 'integer', minimum: 1, maximum: 1000 },
  order: { enum: ['asc', 'desc'] },
});
const validateCheckpoints = queryValidator<{ after?: number; limit?: number }>({
  after: { type: 'integer', minimum: 0 },
  limit: { type: 'integer', minimum: 1, maximum: 1000 },
});
const validateConsistency = queryValidator<{ from?: number; to?: number }>({ from: SIZE, to: SIZE });
const validateProof = queryValidator<{ treeSize?: number }>({ treeSize: SIZE });
const validateStats = queryValidator<{ from?: string; to?: string; agreement?: string }>({
  from: TIME,
  to: TIME,
  agreement: AGREEMENT,
});
const validateExport = queryValidator<{
  format?: ExportFormat;
  from?: string;
  to?: string;
  partner?: string;
}>({
  format: { enum: ['jsonl', 'csv'] },
  from: TIME,
  to: TIME,
  partner: PARTNER,
});

const identityOf = (res: Response): Identity => res.locals.identity as Identity;
/** Timestamps compared as text must share one form: the one the log writes (validated above). */
const iso = (value: string | undefined) => (value === undefined ? undefined : logTimestamp(value));

function seqOf(req: Request): number {
  const text = String(req.params.seq);
  if (!/^[1-9]\d{0,14}$/.test(text)) throw problems.notFound('No such entry.');
  return Number(text);
}

export function auditRoutes(service: AuditService): RouteSpec[] {
  const read = guards.anyOf('audit:read');
  return [
    {
      method: 'get',
      path: '/audit/events',
      guard: read,
      doc: {
        summary: 'Search the disclosure log (entries the caller may see)',
        description: 'Newest first by default; a search by person or identifier is itself logged.',
        query: validateEvents.properties,
        responses: {
          200: { description: 'A page of entries and the next cursor.', schema: auditEventsSchema },
        },
      },
      handler: async (req, res) => {
        const q = validateEvents(req.query);
        const result = await service.events(
          identityOf(res),
          {
            from: iso(q.from),
            to: iso(q.to),
            partner: q.partner,
            user: q.user,
            agreement: q.agreement,
            request: q.request,
            types: q.type?.split(','),
            outcome: q.outcome,
            identifier: q.identifier,
            subject: q.subject,
          },
          { cursor: q.cursor, limit: q.limit ?? 100, order: q.order ?? 'desc' },
        );
        res.json(result);
      },
    },
    {
      method: 'get',
      path: '/audit/verify',
      guard: read,
      doc: {
        summary: 'Verify the whole log: chain, tree and checkpoint signatures',
        responses: {
          200: { description: 'The verdict, naming the first broken entry if any.', schema: OBJECT_SCHEMA },
        },
      },
      handler: async (_req, res) => void res.json(await service.verify(identityOf(res))),
    },
    {
      method: 'get',
      path: '/audit/checkpoints',
      guard: read,
      doc: {
        summary: 'Signed checkpoints of the log, oldest first',
        query: validateCheckpoints.properties,
        responses: {
          200: {
            description: 'Checkpoints, and the tree size to page on from (or null).',
            schema: ITEMS_SCHEMA,
          },
        },
      },
      handler: async (req, res) => {
        const q = validateCheckpoints(req.query);
        const limit = q.limit ?? 100;
        const items = await service.checkpoints(q.after, limit);
        res.json({
          items,
          next: items.length === limit ? items[items.length - 1].treeSize : null,
        });
      },
    },
    {
      method: 'get',
      path: '/audit/checkpoints/latest',
      guard: read,
      doc: {
        summary: 'The newest signed checkpoint',
        responses: { 200: { description: 'The checkpoint.', schema: OBJECT_SCHEMA } },
      },
      handler: async (_req, res) => void res.json(await service.latestCheckpoint()),
    },
    {
      method: 'get',
      path: '/audit/checkpoints/consistency',
      guard: read,
      doc: {
        summary: 'A consistency proof between two checkpointed tree sizes',
        query: validateConsistency.properties,
        requiredQuery: ['from'],
        responses: { 200: { description: 'The proof.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const q = validateConsistency(req.query);
        if (q.from === undefined) throw problems.badRequest('`from` (a checkpoint tree size) is required.');
        res.json(await service.consistency(q.from, q.to));
      },
    },
    {
      method: 'get',
      path: '/audit/checkpoints/key',
      guard: guards.authenticated,
      doc: {
        summary: 'The public key that checkpoints are signed with (to verify receipts)',
        responses: { 200: { description: 'The key.', schema: OBJECT_SCHEMA } },
      },
      handler: (_req, res) => void res.json(service.publicKey()),
    },
    {
      method: 'get',
      path: '/audit/proof/:seq',
      guard: read,
      doc: {
        summary: 'An inclusion proof of one entry',
        query: validateProof.properties,
        responses: {
          200: { description: 'The entry, a signed checkpoint and the proof.', schema: OBJECT_SCHEMA },
        },
      },
      handler: async (req, res) => {
        const q = validateProof(req.query);
        res.json(await service.proof(identityOf(res), seqOf(req), q.treeSize));
      },
    },
    {
      method: 'get',
      path: '/audit/stats',
      guard: read,
      doc: {
        summary: 'Counts of decisions and disclosures by day and agreement',
        query: validateStats.properties,
        responses: { 200: { description: 'The counts.', schema: ITEMS_SCHEMA } },
      },
      handler: async (req, res) => {
        const q = validateStats(req.query);
        const items = await service.stats(identityOf(res), {
          from: iso(q.from),
          to: iso(q.to),
          agreement: q.agreement,
        });
        res.json({ items });
      },
    },
    {
      method: 'get',
      path: '/audit/export',
      guard: guards.anyOf('audit:export'),
      doc: {
        summary: 'Export the log entries the caller may see, streamed',
        description: 'A JSONL export ends with an end line: one without it was cut short.',
        query: validateExport.properties,
        responses: {
          200: { description: 'The export, as an attachment.', types: Object.values(CONTENT_TYPES) },
        },
      },
      handler: async (req, res) => {
        const q = validateExport(req.query);
        const format = q.format ?? 'jsonl';
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        res.status(200).type(CONTENT_TYPES[format]);
        res.setHeader('Content-Disposition', `attachment; filename="fsg-audit-${stamp}.${format}"`);
        try {
          await service.export(
            identityOf(res),
            { from: iso(q.from), to: iso(q.to), partner: q.partner },
            format,
            res,
          );
          res.end();
        } catch (error) {
          if (!res.headersSent) {
            res.removeHeader('Content-Disposition');
            throw error;
          }
          // Half an export must not look whole: cut the connection (the JSONL end line is missing).
          if (!(error instanceof ExportAborted)) res.destroy(error as Error);
        }
      },
    },
  ];
}
