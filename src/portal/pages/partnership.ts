/** The partnership's pages: each agreement's report, the list of reports, and recording an outcome. */
import { guards } from '../../http/routes';
import { isContactPointOf } from '../../partnership/contacts';
import { overdue } from '../../partnership/overdue';
import { validateOutcome } from '../../partnership/outcomes';
import type { Ctx, PortalRoute } from '../context';
import { one } from '../forms';
import { queryParam } from './analyst';
import { idOf } from './request-facts';
import { reportListView, reportView, type PartnershipHome } from './partnership-views';

export function partnershipRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/partnership/reports',
      guard: guards.anyOf('reports:read'),
      handler: async (ctx) =>
        ctx.render('Reports', reportListView(await ctx.deps.services.reports.readable(ctx.identity))),
    },
    {
      method: 'get',
      path: '/partnership/reports/:agreementId',
      guard: guards.anyOf('reports:read'),
      handler: async (ctx) => {
        const period = queryParam(ctx, 'period');
        const report = await ctx.deps.services.reports.reportFor(
          ctx.identity,
          String(ctx.req.params.agreementId),
          period || undefined,
        );
        ctx.render(`Report: ${report.agreement.title}, ${report.period.label}`, reportView(report));
      },
    },
    {
      method: 'post',
      path: '/requests/:id/outcomes',
      guard: guards.anyOf('outcomes:record'),
      handler: async (ctx) => {
        const note = one(ctx.form, 'note').trim();
        const input = validateOutcome({ kind: one(ctx.form, 'kind'), ...(note ? { note } : {}) });
        await ctx.deps.services.outcomes.recordForRequest(ctx.identity, idOf(ctx), input);
        ctx.redirect(`/portal/requests/${idOf(ctx)}`, 'Outcome recorded.');
      },
    },
  ];
}

/**
 * The home page's partnership lines: the requests overdue at each provider whose contact point this
 * person is, and the reports they may read.
 */
export async function partnershipHome(ctx: Ctx): Promise<PartnershipHome> {
  const now = ctx.deps.clock();
  const agreements = [...ctx.deps.bundle().agreements.values()].filter(
    (a) =>
      a.parties.providers.includes(ctx.identity.partnerId) &&
      isContactPointOf(a, ctx.identity.partnerId, ctx.identity),
  );
  let overdueCount = 0;
  if (agreements.length) {
    const open = await ctx.deps.store.requests.listByProvider(ctx.identity.partnerId, ['awaiting_provider']);
    overdueCount = open.filter((r) => {
      const agreement = agreements.find((a) => a.id === r.input.agreementId);
      return agreement !== undefined && overdue(r, agreement, now).overdue;
    }).length;
  }
  return { overdue: overdueCount, reports: await ctx.deps.services.reports.readable(ctx.identity) };
}
