/**
 * The partnership's API under /api/v1: partners' screenings (recorded by the gateway's admins, read by
 * them and by DPOs in their scope) and agreements' acceptances (by a party's legal person or admin).
 */
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { ITEMS_SCHEMA, OBJECT_SCHEMA } from '../http/openapi';
import { bodyValidator, reasonValidator } from '../http/validate';
import type { Accreditation } from '../records/accreditation';
import acceptanceSchema from '../../schemas/api/acceptance.schema.json';
import type { AcceptanceInput } from './acceptance';
import { validateScreening } from './screening';
import type { PartnershipService } from './service';
import { SCREEN, type Viewer } from './viewer';

export const validateAcceptance = bodyValidator<AcceptanceInput>(acceptanceSchema);
/** A withdrawal gives a written reason (API and portal alike). */
export const validateWithdrawal = reasonValidator(2000);

const ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A partner or agreement id from the path; one of another form cannot exist. */
export function pathId(params: Record<string, unknown>, name: 'partnerId' | 'agreementId'): string {
  const id = String(params[name]);
  if (!ID.test(id)) throw problems.notFound(`No such ${name === 'partnerId' ? 'partner' : 'agreement'}.`);
  return id;
}

/** The caller as the guard left them (an `actions` guard sets both). */
export const viewerOf = (res: Response): Viewer => ({
  identity: res.locals.identity as Identity,
  accreditation: res.locals.accreditation as Accreditation,
});

const partnerOf = (req: Request) => pathId(req.params, 'partnerId');
const agreementOf = (req: Request) => pathId(req.params, 'agreementId');

export function partnershipRoutes(service: PartnershipService, clock: () => Date): RouteSpec[] {
  const read = guards.anyOf('partnership:read');
  const acceptances = service.acceptances;
  const accept = guards.anyOf('agreements:accept');
  const notParty = { description: 'The caller’s partner is not a party to the agreement.' };
  return [
    {
      method: 'post',
      path: '/partners/:partnerId/screenings',
      guard: guards.anyOf(SCREEN),
      doc: {
        summary: 'Record a partner’s screening (due diligence)',
        description:
          'The newest screening is in effect: a partner not cleared, or past its next review, takes part in no exchange.',
        body: validateScreening.schema,
        responses: {
          201: { description: 'The partner’s standing and screenings, newest first.', schema: OBJECT_SCHEMA },
          404: { description: 'No such partner.' },
        },
      },
      handler: async (req, res) => {
        const input = validateScreening(req.body, clock());
        const history = await service.screenings.record(viewerOf(res), partnerOf(req), input);
        res.status(201).json(history);
      },
    },
    {
      method: 'get',
      path: '/partners/:partnerId/screenings',
      guard: read,
      doc: {
        summary: 'A partner’s screenings, newest first, and its standing today',
        responses: {
          200: { description: 'The standing and the screenings.', schema: OBJECT_SCHEMA },
          404: { description: 'No such partner, or not the caller’s own (a partner’s DPO).' },
        },
      },
      handler: async (req, res) =>
        void res.json(await service.screenings.history(viewerOf(res), partnerOf(req))),
    },
    {
      method: 'get',
      path: '/partnership/screenings',
      guard: read,
      doc: {
        summary: 'Every partner’s screening standing today (those in the caller’s scope)',
        responses: { 200: { description: 'One standing per partner.', schema: ITEMS_SCHEMA } },
      },
      handler: async (_req, res) =>
        void res.json({ items: await service.screenings.standings(viewerOf(res)) }),
    },
    {
      method: 'get',
      path: '/agreements/:agreementId/acceptances',
      guard: guards.anyOf('agreements:read'),
      doc: {
        summary: 'Who accepted which version of an agreement, and whether it is in force',
        responses: {
          200: {
            description: 'The version loaded, each party’s acceptance, the history.',
            schema: OBJECT_SCHEMA,
          },
          404: { description: 'No such agreement, or the caller’s partner is not a party to it.' },
        },
      },
      handler: async (req, res) => void res.json(await acceptances.status(viewerOf(res), agreementOf(req))),
    },
    {
      method: 'post',
      path: '/agreements/:agreementId/acceptance',
      guard: accept,
      doc: {
        summary:
          'Accept the agreement version read, with its confidentiality commitment, for the caller’s partner',
        body: validateAcceptance.schema,
        responses: {
          200: { description: 'Accepted already: nothing new recorded.', schema: OBJECT_SCHEMA },
          201: { description: 'Accepted: the agreement’s acceptances.', schema: OBJECT_SCHEMA },
          403: notParty,
          404: { description: 'No such agreement.' },
          429: { description: 'The party changed its acceptance of this agreement too often today.' },
          409: { description: 'Not the version loaded: `currentVersion` and `currentDigest` name it.' },
        },
      },
      handler: async (req, res) => {
        const input = validateAcceptance(req.body);
        const { status, recorded } = await acceptances.accept(viewerOf(res), agreementOf(req), input);
        res.status(recorded ? 201 : 200).json(status);
      },
    },
    {
      method: 'post',
      path: '/agreements/:agreementId/withdrawal',
      guard: accept,
      doc: {
        summary: 'Withdraw the caller’s partner’s acceptance of an agreement, with a reason',
        body: validateWithdrawal.schema,
        responses: {
          200: { description: 'Withdrawn: the agreement’s acceptances.', schema: OBJECT_SCHEMA },
          403: notParty,
          404: { description: 'No such agreement.' },
          429: { description: 'The party changed its acceptance of this agreement too often today.' },
          409: { description: 'The partner has no acceptance to withdraw.' },
        },
      },
      handler: async (req, res) => {
        const { reason } = validateWithdrawal(req.body);
        res.json(await acceptances.withdraw(viewerOf(res), agreementOf(req), reason));
      },
    },
  ];
}
