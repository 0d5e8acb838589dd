import type { Request, Response } from 'express';
import { callSetting } from '../http/request-context';
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator, reasonValidator, schemas } from '../http/validate';
import { TLP_LEVELS, type Bundle, type Handling } from '../policy/types';
import type { CanonicalRecord } from '../records/canonical';
import type { RequestInput } from '../safes/types';
import type { DatasetRecord } from '../datasets/types';
import { limitedBody, parseSize, UPLOAD_TYPES, uploadFormat } from '../http/body-stream';
import { ADAPTER_QUERY, ITEMS_SCHEMA, OBJECT_SCHEMA, STATE_SCHEMA } from '../http/openapi';
import requestAnsweredSchema from '../../schemas/api/request-answered.schema.json';
import requestCreatedSchema from '../../schemas/api/request-created.schema.json';
import requestListSchema from '../../schemas/api/request-list.schema.json';
import { recordProblems } from '../records/validate';
import { deniedProblem } from './denials';
import { handlingOf, handlingView } from './handling';
import type { RequestService } from './service';
import type { StoredRequest } from './types';
import { detail, previewView, summary } from './views';
import { overdue } from '../partnership/overdue';

const validateCreate = bodyValidator<RequestInput>(schemas.requestCreate);
const validateAnswer = bodyValidator<{ records: CanonicalRecord[] }>(schemas.answer);
/** A decline gives a written reason (API and portal alike). */
export const validateDecline = reasonValidator(2000);
/**
 * Approval names the version of the preview it approves (previewVersion, from the answer or GET
 * /requests/:id): exactly that preview is released, or nothing. It takes a reason only for a table
 * under review (the service says when it is required). Under four eyes a table's first approval
 * answers 202 with the new previewVersion the second responder approves. API and portal alike.
 */
export const validateApprove = bodyValidator<{
  previewVersion: number;
  reason?: string;
  handling?: Handling;
}>({
  type: 'object',
  additionalProperties: false,
  required: ['previewVersion'],
  properties: {
    previewVersion: { type: 'integer', minimum: 1 },
    reason: { type: 'string', minLength: 3, maxLength: 2000 },
    // A stricter handling than the agreement's (checked by the service).
    handling: {
      type: 'object',
      additionalProperties: false,
      required: ['tlp', 'conditions'],
      properties: {
        tlp: { enum: [...TLP_LEVELS] },
        conditions: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 500 } },
      },
    },
  },
});

const identityOf = (res: Response): Identity => res.locals.identity as Identity;
const idOf = (req: Request): string => {
  const id = String(req.params.id);
  // Ids are UUIDs; anything else cannot exist, so say so without touching the store.
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound('No such request.');
  return id;
};

export function requestRoutes(
  service: RequestService,
  bundle: () => Bundle,
  uploadLimit: string,
): RouteSpec[] {
  return [
    {
      // Every caller gets a decision: the Five Safes (people included) decide, not the route guard.
      method: 'post',
      path: '/requests',
      guard: guards.authenticated,
      doc: {
        summary: 'Request details (or an aggregate table) from a provider',
        description: 'Decided by the Five Safes; a permitted request lands in the provider’s inbox.',
        body: validateCreate.schema,
        responses: {
          201: {
            description: 'Permitted: the request and its decision.',
            schema: requestCreatedSchema,
            headers: { Location: 'The request’s URL' },
          },
          403: { description: 'Denied by the Five Safes: `decision` and `requestId` say why.' },
        },
      },
      handler: async (req, res) => {
        const input = validateCreate(req.body);
        const request = await service.create(identityOf(res), input, callSetting(req));
        if (request.state === 'denied') {
          throw deniedProblem('request-denied', 'Request denied by the Five Safes', request.decision, {
            requestId: request.id,
          });
        }
        res
          .status(201)
          .location(`/api/v1/requests/${request.id}`)
          .json({ id: request.id, state: request.state, decision: request.decision });
      },
    },
    {
      method: 'get',
      path: '/requests',
      guard: guards.anyOf('requests:read-own'),
      doc: {
        summary: 'The caller’s own requests',
        responses: { 200: { description: 'Summaries, newest first.', schema: requestListSchema } },
      },
      handler: async (_req, res) => {
        res.json({ items: (await service.listOwn(identityOf(res))).map(summary) });
      },
    },
    {
      method: 'get',
      path: '/inbox',
      guard: guards.anyOf('inbox:read'),
      doc: {
        summary: 'Requests addressed to the caller’s partner',
        description:
          'Each with the fields asked for, the legal basis, and the provider’s hit and matching records.',
        responses: { 200: { description: 'The inbox.', schema: ITEMS_SCHEMA } },
      },
      handler: async (_req, res) => {
        const items = await service.inbox(identityOf(res));
        const now = service.now();
        res.json({
          items: await Promise.all(
            items.map(async (r) => ({
              ...summary(r),
              // A question to the partnership comes with its text (context, never data).
              ...(r.question ? { question: r.question } : {}),
              // Past the agreement's response time while awaiting the provider: overdue, since when.
              ...overdue(r, bundle().agreements.get(r.input.agreementId), now),
              fields: r.input.fields,
              legalBasis: bundle().agreements.get(r.input.agreementId)?.legalBasis ?? null,
              ...recordsView(await service.providerRecords(r)),
            })),
          ),
        });
      },
    },
    {
      method: 'get',
      path: '/requests/:id',
      guard: guards.anyOf('requests:read-own', 'inbox:read'),
      doc: {
        summary: 'One request, as its requester or its provider sees it',
        responses: { 200: { description: 'The request.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const { request, side } = await service.get(identityOf(res), idOf(req));
        // Which of the provider's own records were hit, or match the identifiers asked about, is for the
        // provider's eyes only.
        const hits = side === 'provider' ? recordsView(await service.providerRecords(request)) : {};
        res.json({ ...detail(request, side, bundle()), ...hits });
      },
    },
    {
      method: 'post',
      path: '/requests/:id/answer',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Answer a request with records in canonical form',
        body: validateAnswer.schema,
        responses: {
          200: {
            description: 'The preview of what would be released, and its version.',
            schema: requestAnsweredSchema,
          },
          409: { description: 'The request cannot be answered in its state.' },
        },
      },
      handler: async (req, res) => {
        const { records } = validateAnswer(req.body);
        const errors = records.flatMap((record, i) =>
          recordProblems(record).map((p) => ({ pointer: `/records/${i}${p.pointer}`, detail: p.message })),
        );
        if (errors.length) throw problems.badRequest('The request body is invalid.', { errors });
        res.json(answerView(await service.answer(identityOf(res), idOf(req), records)));
      },
    },
    {
      // The answer made of the provider's shared records that match the request (matchingRecords).
      method: 'post',
      path: '/requests/:id/answer/shared',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Answer a request with the provider’s shared records that match it',
        responses: {
          200: {
            description: 'The preview of what would be released, and its version.',
            schema: requestAnsweredSchema,
          },
          409: { description: 'The request cannot be answered in its state.' },
        },
      },
      handler: async (req, res) => {
        res.json(answerView(await service.answerShared(identityOf(res), idOf(req))));
      },
    },
    {
      // The same answer in the responder's own format, mapped through its adapter; quarantined rows
      // come back beside the preview.
      method: 'post',
      path: '/requests/:id/answer/upload',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Answer a request with a file in the provider’s own format, mapped by its adapter',
        upload: UPLOAD_TYPES,
        query: ADAPTER_QUERY,
        requiredQuery: ['adapter'],
        responses: {
          200: {
            description: 'The preview of what would be released, and its version.',
            schema: requestAnsweredSchema,
          },
          409: { description: 'The request cannot be answered in its state.' },
        },
      },
      body: 'stream',
      handler: async (req, res) => {
        const adapter = typeof req.query.adapter === 'string' ? req.query.adapter : '';
        if (!adapter) throw problems.badRequest('Name the adapter: ?adapter=<id>.');
        const format = uploadFormat(req);
        const request = await service.answerUpload(
          identityOf(res),
          idOf(req),
          adapter,
          format,
          limitedBody(req, parseSize(uploadLimit)),
        );
        res.json(answerView(request));
      },
    },
    {
      method: 'post',
      path: '/requests/:id/approve',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Approve the preview of the version named: exactly that is released',
        body: validateApprove.schema,
        responses: {
          200: { description: 'Released, with the provider’s receipt.', schema: OBJECT_SCHEMA },
          202: {
            description: 'Four eyes: a first approval; another responder approves the new version.',
            schema: OBJECT_SCHEMA,
          },
          403: {
            description:
              'The partnership no longer clears the release (`codes`): a party withdrew, a partner’s screening was refused or lapsed, or the agreement is past its revision date.',
          },
          409: { description: 'The request is not answered, or the preview version is not the current one.' },
          410: { description: 'A question’s request that lapsed with the agreement’s retention.' },
        },
      },
      handler: async (req, res) => {
        const { previewVersion, reason, handling } = validateApprove(req.body ?? {});
        const approval = await service.approve(identityOf(res), idOf(req), previewVersion, reason, handling);
        const request = approval.request;
        if (approval.step === 'first-approval') {
          // Nothing was disclosed (no receipt): another responder approves the new preview version.
          return void res.status(202).json({
            id: request.id,
            state: request.state,
            previewVersion: request.previewVersion,
            awaiting: 'second-approval',
            preparedBy: request.preview?.preparedBy,
          });
        }
        res.json({
          id: request.id,
          state: request.state,
          expiresAt: request.expiresAt,
          recordDigests: request.recordDigests,
          handling: handlingView(handlingOf(request)),
          // The provider's receipt: the disclosure entry, a signed checkpoint and the inclusion proof. The
          // disclosure is committed by now: should the receipt fail, GET /requests/:id/receipt gives it later.
          receipt: await service.receipt(identityOf(res), request.id).catch(() => null),
        });
      },
    },
    {
      method: 'post',
      path: '/requests/:id/decline',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Decline a request, with a reason',
        body: validateDecline.schema,
        responses: {
          200: { description: 'Declined.', schema: STATE_SCHEMA },
          409: { description: 'The request cannot be declined in its state.' },
        },
      },
      handler: async (req, res) => {
        const { reason } = validateDecline(req.body);
        const request = await service.decline(identityOf(res), idOf(req), reason);
        res.json({ id: request.id, state: request.state });
      },
    },
    {
      method: 'post',
      path: '/requests/:id/withdraw',
      guard: guards.anyOf('requests:withdraw'),
      doc: {
        summary: 'Withdraw one’s own request',
        responses: {
          200: { description: 'Withdrawn.', schema: STATE_SCHEMA },
          409: { description: 'The request cannot be withdrawn in its state.' },
        },
      },
      handler: async (req, res) => {
        const request = await service.withdraw(identityOf(res), idOf(req));
        res.json({ id: request.id, state: request.state });
      },
    },
    {
      // Like POST /requests, the safes decide (and log a refusal), not the route guard: the reader's
      // accreditation, role (disclosures:read) and setting are checked by the service at every read.
      method: 'get',
      path: '/requests/:id/disclosure',
      guard: guards.authenticated,
      doc: {
        summary: 'Read what was disclosed (its recipients, until it expires)',
        description: 'Each read is decided (people and setting) and logged.',
        responses: {
          200: {
            description: 'The released records or table, its handling and the reader’s receipt.',
            schema: OBJECT_SCHEMA,
          },
          403: { description: 'Not a recipient, or the reader’s safes fail.' },
          409: { description: 'Nothing is disclosed yet.' },
          410: { description: 'The disclosure expired and its records were purged.' },
        },
      },
      handler: async (req, res) => {
        const request = await service.readDisclosure(identityOf(res), idOf(req), callSetting(req));
        res.setHeader('Cache-Control', 'no-store');
        res.json({
          id: request.id,
          ...(Array.isArray(request.disclosure)
            ? { records: request.disclosure }
            : { table: request.disclosure }),
          handling: handlingView(handlingOf(request)),
          expiresAt: request.expiresAt,
          // The analyst's receipt of the disclosure (also at GET /requests/:id/receipt, after expiry too).
          receipt: await service.receipt(identityOf(res), request.id).catch(() => null),
        });
      },
    },
    {
      // Either side's receipt of the disclosure: verifiable offline with `fsg audit verify-receipt`.
      method: 'get',
      path: '/requests/:id/receipt',
      guard: guards.anyOf('requests:read-own', 'inbox:read'),
      doc: {
        summary: 'Either side’s receipt of the disclosure (verifiable offline)',
        responses: {
          200: {
            description: 'The disclosure entry, a signed checkpoint and the inclusion proof.',
            schema: OBJECT_SCHEMA,
          },
          409: { description: 'Nothing was disclosed.' },
        },
      },
      handler: async (req, res) => void res.json(await service.receipt(identityOf(res), idOf(req))),
    },
  ];
}

function answerView(request: StoredRequest) {
  return {
    id: request.id,
    state: request.state,
    preview: previewView(request.preview),
    previewVersion: request.previewVersion,
    handling: handlingView(handlingOf(request)),
  };
}

/**
 * The provider's own view of its hit records: one entry per source record (its reference, what it is,
 * under which identifier types it is indexed), no field values.
 */
function hitView(records: DatasetRecord[]) {
  const bySource = new Map<
    string,
    { recordRef: string; sourceRef: string; objectType: string; identifierTypes: string[] }
  >();
  for (const r of records) {
    const entry = bySource.get(r.recordRef) ?? {
      recordRef: r.recordRef,
      sourceRef: r.sourceRef,
      objectType: r.objectType,
      identifierTypes: [],
    };
    if (!entry.identifierTypes.includes(r.identifierType)) entry.identifierTypes.push(r.identifierType);
    bySource.set(r.recordRef, entry);
  }
  return [...bySource.values()].map((e) => ({ ...e, identifierTypes: e.identifierTypes.sort() }));
}

/** The provider's records of a request as the API shows them: hitRecords and matchingRecords. */
function recordsView(records: { hit: DatasetRecord[]; matching: DatasetRecord[] }) {
  return { hitRecords: hitView(records.hit), matchingRecords: hitView(records.matching) };
}
