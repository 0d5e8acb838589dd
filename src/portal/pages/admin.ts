/** Admin pages: partners, agreements (read-only, with the bundle digest), users' accreditations. */
import { guards } from '../../http/routes';
import { grantIdOf, grantStateOf, pathPerson, validateReason } from '../../accreditations/routes';
import { bodyValidator } from '../../http/validate';
import accreditationSchema from '../../../schemas/api/accreditation.schema.json';
import roleGrantSchema from '../../../schemas/api/role-grant.schema.json';
import type { AccreditationFields } from '../../accreditations/service';
import type { PrivilegedRole } from '../../records/accreditation';
import { all, one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { portalViewer } from './screening';
import {
  accreditationsView,
  agreementsView,
  entryView,
  partnersView,
  roleGrantsView,
  who,
  type Viewer,
} from './admin-views';

const validateEntry = bodyValidator<AccreditationFields>(accreditationSchema);
const validateGrant = bodyValidator<{ role: PrivilegedRole }>(roleGrantSchema);
const personOf = (ctx: Ctx) => pathPerson(ctx.req.params);
const reasonOf = (ctx: Ctx) => {
  const { reason } = validateReason({ reason: one(ctx.form, 'reason') });
  return reason;
};

/** Who is looking at an admin page: their own entry and grants are shown without the actions. */
const viewerOf = (ctx: Ctx): Viewer => ({ csrf: ctx.user.csrf, person: ctx.identity });

export function adminRoutes(): PortalRoute[] {
  const read = guards.anyOf('accreditations:read');
  const manage = guards.anyOf('accreditations:manage');
  return [
    {
      method: 'get',
      path: '/admin/partners',
      guard: read,
      handler: async (ctx) => {
        const standings = await ctx.deps.services.partnership.screenings.standings(portalViewer(ctx));
        ctx.render(
          'Partners',
          partnersView(
            [...ctx.deps.bundle().partners.values()],
            new Map(standings.map((s) => [s.partnerId, s])),
          ),
        );
      },
    },
    {
      method: 'get',
      path: '/admin/agreements',
      guard: read,
      handler: async (ctx) => {
        const bundle = ctx.deps.bundle();
        ctx.render('Agreements', agreementsView(bundle.digest, [...bundle.agreements.values()]));
      },
    },
    {
      method: 'get',
      path: '/admin/accreditations',
      guard: read,
      handler: async (ctx) => {
        const items = await ctx.deps.services.accreditations.list();
        const pending = await ctx.deps.services.accreditations.grants.list('pending');
        ctx.render('Accreditations', accreditationsView(items, pending.length, viewerOf(ctx)));
      },
    },
    {
      method: 'get',
      path: '/admin/accreditations/:partnerId/:userId',
      guard: read,
      handler: async (ctx) => {
        const u = await ctx.deps.services.accreditations.get(personOf(ctx));
        ctx.render(`Accreditation of ${u.displayName}`, entryView(u, viewerOf(ctx)));
      },
    },
    {
      method: 'post',
      path: '/admin/accreditations/:partnerId/:userId',
      guard: manage,
      handler: async (ctx) => {
        const person = personOf(ctx);
        const current = await ctx.deps.services.accreditations.get(person);
        const entry = validateEntry({
          displayName: one(ctx.form, 'displayName'),
          roles: all(ctx.form, 'roles'),
          vettingLevel: Number(one(ctx.form, 'vettingLevel')),
          trainedOn: one(ctx.form, 'trainedOn'),
          expiresOn: one(ctx.form, 'expiresOn'),
          suspended: current.suspended,
          teams: [
            ...new Set(
              one(ctx.form, 'teams')
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            ),
          ],
        });
        await ctx.deps.services.accreditations.put(ctx.identity, person, entry);
        ctx.redirect('/portal/admin/accreditations', `Saved the accreditation of ${who(person)}.`);
      },
    },
    ...(['suspend', 'reinstate'] as const).map((action): PortalRoute => ({
      method: 'post',
      path: `/admin/accreditations/:partnerId/:userId/${action}`,
      guard: manage,
      handler: async (ctx) => {
        const person = personOf(ctx);
        await ctx.deps.services.accreditations.setSuspended(
          ctx.identity,
          person,
          action === 'suspend',
          reasonOf(ctx),
        );
        ctx.redirect(
          '/portal/admin/accreditations',
          `${who(person)} ${action === 'suspend' ? 'suspended' : 'reinstated'}.`,
        );
      },
    })),
    {
      method: 'post',
      path: '/admin/accreditations/:partnerId/:userId/role-grants',
      guard: manage,
      handler: async (ctx) => {
        const person = personOf(ctx);
        const { role } = validateGrant({ role: one(ctx.form, 'role') });
        await ctx.deps.services.accreditations.grants.propose(ctx.identity, person, role);
        ctx.redirect(
          '/portal/admin/role-grants',
          `Proposed ${role} for ${who(person)}: another admin approves or rejects it.`,
        );
      },
    },
    {
      method: 'get',
      path: '/admin/role-grants',
      guard: read,
      handler: async (ctx) => {
        const state = grantStateOf(ctx.req.query.state);
        const grants = await ctx.deps.services.accreditations.grants.list(state);
        ctx.render('Role grants', roleGrantsView(grants, state, viewerOf(ctx)));
      },
    },
    {
      method: 'post',
      path: '/admin/role-grants/:id/approve',
      guard: manage,
      handler: async (ctx) => {
        const grant = await ctx.deps.services.accreditations.grants.approve(
          ctx.identity,
          grantIdOf(ctx.req.params),
        );
        ctx.redirect('/portal/admin/role-grants', `Approved: ${grant.role} for ${who(grant.subject)}.`);
      },
    },
    {
      method: 'post',
      path: '/admin/role-grants/:id/reject',
      guard: manage,
      handler: async (ctx) => {
        const grant = await ctx.deps.services.accreditations.grants.reject(
          ctx.identity,
          grantIdOf(ctx.req.params),
          reasonOf(ctx),
        );
        ctx.redirect('/portal/admin/role-grants', `Rejected: ${grant.role} for ${who(grant.subject)}.`);
      },
    },
  ];
}
