import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator, reasonValidator } from '../http/validate';
import accreditationSchema from '../../schemas/api/accreditation.schema.json';
import type { AccreditationFields, AccreditationService } from './service';

const validateEntry = bodyValidator<AccreditationFields>(accreditationSchema);
// The same fields, none required: a PATCH names only what changes.
const { $id: _entryId, ...entryFields } = accreditationSchema;
const validatePatch = bodyValidator<Partial<AccreditationFields>>({ ...entryFields, required: [] });
/** Suspensions and reinstatements give a written reason (API and portal alike). */
export const validateReason = reasonValidator(500);

const adminOf = (res: Response): Identity => res.locals.identity as Identity;
const userOf = (req: Request): string => String(req.params.userId);

export function accreditationRoutes(service: AccreditationService): RouteSpec[] {
  const read = guards.anyOf('accreditations:read');
  const manage = guards.anyOf('accreditations:manage');
  return [
    {
      method: 'get',
      path: '/admin/accreditations',
      guard: read,
      handler: async (_req, res) => void res.json({ items: await service.list() }),
    },
    {
      method: 'get',
      path: '/admin/accreditations/:userId',
      guard: read,
      handler: async (req, res) => void res.json(await service.get(userOf(req))),
    },
    {
      method: 'put',
      path: '/admin/accreditations/:userId',
      guard: manage,
      handler: async (req, res) =>
        void res.json(await service.put(adminOf(res), userOf(req), validateEntry(req.body))),
    },
    {
      method: 'patch',
      path: '/admin/accreditations/:userId',
      guard: manage,
      handler: async (req, res) => {
        const patch = validatePatch(req.body);
        const { userId: _, ...current } = await service.get(userOf(req));
        res.json(await service.put(adminOf(res), userOf(req), { ...current, ...patch }));
      },
    },
    {
      method: 'post',
      path: '/admin/accreditations/:userId/suspend',
      guard: manage,
      handler: async (req, res) => {
        const { reason } = validateReason(req.body);
        res.json(await service.setSuspended(adminOf(res), userOf(req), true, reason));
      },
    },
    {
      method: 'post',
      path: '/admin/accreditations/:userId/reinstate',
      guard: manage,
      handler: async (req, res) => {
        const { reason } = validateReason(req.body);
        res.json(await service.setSuspended(adminOf(res), userOf(req), false, reason));
      },
    },
  ];
}
