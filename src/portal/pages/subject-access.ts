/**
 * The DPO's subject access page: a form (an identifier, or a name and date of birth) that posts, and
 * the report drawn as a printable page. The same service and rules as POST /api/v1/audit/subject-access.
 */
import { guards } from '../../http/routes';
import { validateSubjectQuery } from '../../subject-access/routes';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { subjectAccessFormView, subjectAccessReportView } from './subject-access-views';

const guard = guards.anyOf('audit:subject-access');
const PATH = '/log/subject-access';

/** The form's fields as the API's body: what is filled in decides which search it is. */
function queryOf(ctx: Ctx): unknown {
  const value = one(ctx.form, 'identifierValue');
  const name = one(ctx.form, 'name');
  const dateOfBirth = one(ctx.form, 'dateOfBirth');
  return {
    ...(value ? { identifier: { type: one(ctx.form, 'identifierType'), value } } : {}),
    ...(name ? { name } : {}),
    ...(dateOfBirth ? { dateOfBirth } : {}),
  };
}

export function subjectAccessRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: PATH,
      guard,
      handler: async (ctx) => ctx.render('Subject access report', subjectAccessFormView(ctx.user.csrf)),
    },
    {
      method: 'post',
      path: PATH,
      guard,
      handler: async (ctx) => {
        const report = await ctx.deps.services.subjectAccess.report(
          ctx.identity,
          validateSubjectQuery(queryOf(ctx)),
        );
        ctx.render('Subject access report', subjectAccessReportView(report));
      },
    },
  ];
}
