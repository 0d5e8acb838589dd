import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { ITEMS_SCHEMA, OBJECT_SCHEMA } from '../http/openapi';
import { bodyValidator, reasonValidator } from '../http/validate';
import { parsePerson, type Person, type PrivilegedRole, type RoleGrant } from '../records/accreditation';
import accreditationSchema from '../../schemas/api/accreditation.schema.json';
import roleGrantSchema from '../../schemas/api/role-grant.schema.json';
import type { AccreditationFields, AccreditationService } from './service';

const validateEntry = bodyValidator<AccreditationFields>(accreditationSchema);
// The same fields, none required: a PATCH names only what changes.
const { $id: _entryId, ...entryFields } = accreditationSchema;
const validatePatch = bodyValidator<Partial<AccreditationFields>>({ ...entryFields, required: [] });
const validateGrant = bodyValidator<{ role: PrivilegedRole }>(roleGrantSchema);
/** Suspensions, reinstatements and rejected grants give a written reason (API and portal alike). */
export const validateReason = reasonValidator(500);

const GRANT_STATES: readonly RoleGrant['state'][] = ['pending', 'approved', 'rejected'];

const adminOf = (res: Response): Identity => res.locals.identity as Identity;

/** The person a path names, `/:partnerId/:userId`; a malformed one cannot exist (404). */
export function pathPerson(params: Record<string, unknown>): Person {
  const person = parsePerson(`${String(params.partnerId)}:${String(params.userId)}`);
  if (!person) throw problems.notFound('No such user in the registry.');
  return person;
}

/** A grant id is a UUID; anything else cannot exist. */
export function grantIdOf(params: Record<string, unknown>): string {
  const id = String(params.id);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound('No such role grant.');
  return id;
}

/** `?state=pending|approved|rejected|all`, pending by default: what awaits a second admin. */
export function grantStateOf(value: unknown): RoleGrant['state'] | undefined {
  if (value === undefined || value === '') return 'pending';
  if (value === 'all') return undefined;
  if (GRANT_STATES.includes(value as RoleGrant['state'])) return value as RoleGrant['state'];
  throw problems.badRequest('The query is invalid.', {
    errors: [{ pointer: '/state', detail: 'must be pending, approved, rejected or all' }],
  });
}

const person = (req: Request) => pathPerson(req.params);

export function accreditationRoutes(service: AccreditationService): RouteSpec[] {
  const read = guards.anyOf('accreditations:read');
  const manage = guards.anyOf('accreditations:manage');
  const ENTRY = '/admin/accreditations/:partnerId/:userId';
  return [
    {
      method: 'get',
      path: '/admin/accreditations',
      guard: read,
      doc: {
        summary: 'The accreditation registry',
        responses: { 200: { description: 'Every entry.', schema: ITEMS_SCHEMA } },
      },
      handler: async (_req, res) => void res.json({ items: await service.list() }),
    },
    {
      method: 'get',
      path: ENTRY,
      guard: read,
      doc: {
        summary: 'One person’s registry entry',
        responses: { 200: { description: 'The entry.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => void res.json(await service.get(person(req))),
    },
    {
      method: 'put',
      path: ENTRY,
      guard: manage,
      doc: {
        summary: 'Create or replace a registry entry (privileged roles go through role grants)',
        body: validateEntry.schema,
        responses: { 200: { description: 'The entry as stored.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) =>
        void res.json(await service.put(adminOf(res), person(req), validateEntry(req.body))),
    },
    {
      method: 'patch',
      path: ENTRY,
      guard: manage,
      doc: {
        summary: 'Change some fields of a registry entry',
        body: validatePatch.schema,
        responses: { 200: { description: 'The entry as stored.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const patch = validatePatch(req.body);
        const { userId: _, partnerId: __, ...current } = await service.get(person(req));
        res.json(await service.put(adminOf(res), person(req), { ...current, ...patch }));
      },
    },
    {
      method: 'post',
      path: `${ENTRY}/suspend`,
      guard: manage,
      doc: {
        summary: 'Suspend a person, with a reason',
        body: validateReason.schema,
        responses: { 200: { description: 'The entry as stored.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const { reason } = validateReason(req.body);
        res.json(await service.setSuspended(adminOf(res), person(req), true, reason));
      },
    },
    {
      method: 'post',
      path: `${ENTRY}/reinstate`,
      guard: manage,
      doc: {
        summary: 'Reinstate a suspended person, with a reason',
        body: validateReason.schema,
        responses: { 200: { description: 'The entry as stored.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const { reason } = validateReason(req.body);
        res.json(await service.setSuspended(adminOf(res), person(req), false, reason));
      },
    },
    {
      // A privileged role (dpo, admin, legal) is proposed here and granted only when another admin approves.
      method: 'post',
      path: `${ENTRY}/role-grants`,
      guard: manage,
      doc: {
        summary: 'Propose a privileged role for a person; another admin approves it',
        body: validateGrant.schema,
        responses: {
          201: {
            description: 'The pending grant.',
            schema: OBJECT_SCHEMA,
            headers: { Location: 'The grant’s URL' },
          },
          409: { description: 'The person holds the role already, or a grant of it is pending.' },
        },
      },
      handler: async (req, res) => {
        const { role } = validateGrant(req.body);
        const grant = await service.grants.propose(adminOf(res), person(req), role);
        res.status(201).location(`/api/v1/admin/role-grants/${grant.id}`).json(grant);
      },
    },
    {
      method: 'get',
      path: '/admin/role-grants',
      guard: read,
      doc: {
        summary: 'Role grants, pending ones by default',
        query: { state: { enum: [...GRANT_STATES, 'all'] } },
        responses: { 200: { description: 'The grants.', schema: ITEMS_SCHEMA } },
      },
      handler: async (req, res) =>
        void res.json({ items: await service.grants.list(grantStateOf(req.query.state)) }),
    },
    {
      method: 'post',
      path: '/admin/role-grants/:id/approve',
      guard: manage,
      doc: {
        summary: 'Approve another admin’s proposed grant',
        responses: {
          200: { description: 'The grant, approved.', schema: OBJECT_SCHEMA },
          409: { description: 'The grant was decided already.' },
        },
      },
      handler: async (req, res) =>
        void res.json(await service.grants.approve(adminOf(res), grantIdOf(req.params))),
    },
    {
      method: 'post',
      path: '/admin/role-grants/:id/reject',
      guard: manage,
      doc: {
        summary: 'Reject a proposed grant, with a reason',
        body: validateReason.schema,
        responses: {
          200: { description: 'The grant, rejected.', schema: OBJECT_SCHEMA },
          409: { description: 'The grant was decided already.' },
        },
      },
      handler: async (req, res) => {
        const { reason } = validateReason(req.body);
        res.json(await service.grants.reject(adminOf(res), grantIdOf(req.params), reason));
      },
    },
  ];
}
