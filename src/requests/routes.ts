import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { problems, ProblemError } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator, reasonValidator, schemas } from '../http/validate';
import type { Bundle } from '../policy/types';
import type { CanonicalRecord } from '../records/canonical';
import type { RequestInput } from '../safes/types';
import type { RequestService } from './service';
import { detail, summary } from './views';

const validateCreate = bodyValidator<RequestInput>(schemas.requestCreate);
const validateAnswer = bodyValidator<{ records: CanonicalRecord[] }>(schemas.answer);
const validateDecline = reasonValidator(2000);

const identityOf = (res: Response): Identity => res.locals.identity as Identity;
const idOf = (req: Request): string => {
  const id = String(req.params.id);
  // Ids are UUIDs; anything else cannot exist, so say so without touching the store.
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound('No such request.');
  return id;
};

export function requestRoutes(service: RequestService, bundle: () => Bundle): RouteSpec[] {
  return [
    {
      // Every caller gets a decision: the Five Safes (people included) decide, not the route guard.
      method: 'post',
      path: '/requests',
      guard: guards.authenticated,
      handler: async (req, res) => {
        const input = validateCreate(req.body);
        const request = await service.create(identityOf(res), input, {
          sourceIp: req.ip ?? '',
          tls: req.secure,
        });
        if (request.state === 'denied') {
          throw new ProblemError({
            code: 'request-denied',
            title: 'Request denied by the Five Safes',
            status: 403,
            detail: deniedDetail(request.decision.safes),
            extensions: { requestId: request.id, decision: request.decision },
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
      handler: async (_req, res) => {
        res.json({ items: (await service.listOwn(identityOf(res))).map(summary) });
      },
    },
    {
      method: 'get',
      path: '/inbox',
      guard: guards.anyOf('inbox:read'),
      handler: async (_req, res) => {
        const items = await service.inbox(identityOf(res));
        res.json({
          items: items.map((r) => ({
            ...summary(r),
            fields: r.input.fields,
            legalBasis: bundle().agreements.get(r.input.agreementId)?.legalBasis ?? null,
          })),
        });
      },
    },
    {
      method: 'get',
      path: '/requests/:id',
      guard: guards.anyOf('requests:read-own', 'inbox:read'),
      handler: async (req, res) => {
        const { request, side } = await service.get(identityOf(res), idOf(req));
        res.json(detail(request, side, bundle()));
      },
    },
    {
      method: 'post',
      path: '/requests/:id/answer',
      guard: guards.anyOf('requests:answer'),
      handler: async (req, res) => {
        const { records } = validateAnswer(req.body);
        const request = await service.answer(identityOf(res), idOf(req), records);
        res.json({
          id: request.id,
          state: request.state,
          preview: request.preview,
          handling: request.decision.obligations.handling,
        });
      },
    },
    {
      method: 'post',
      path: '/requests/:id/approve',
      guard: guards.anyOf('requests:answer'),
      handler: async (req, res) => {
        const request = await service.approve(identityOf(res), idOf(req));
        res.json({
          id: request.id,
          state: request.state,
          expiresAt: request.expiresAt,
          recordDigests: request.recordDigests,
        });
      },
    },
    {
      method: 'post',
      path: '/requests/:id/decline',
      guard: guards.anyOf('requests:answer'),
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
      handler: async (req, res) => {
        const request = await service.withdraw(identityOf(res), idOf(req));
        res.json({ id: request.id, state: request.state });
      },
    },
    {
      method: 'get',
      path: '/requests/:id/disclosure',
      guard: guards.anyOf('disclosures:read'),
      handler: async (req, res) => {
        const request = await service.readDisclosure(identityOf(res), idOf(req));
        res.setHeader('Cache-Control', 'no-store');
        res.json({
          id: request.id,
          records: request.disclosure,
          handling: request.decision.obligations.handling,
          expiresAt: request.expiresAt,
        });
      },
    },
  ];
}

function deniedDetail(safes: Record<string, { outcome: string }>): string {
  const failed = Object.entries(safes)
    .filter(([, r]) => r.outcome === 'fail')
    .map(([safe]) => safe);
  return `Failed safes: ${failed.join(', ')}.`;
}
