/** The partnership's pages: each agreement's report, the list of reports, and recording an outcome. */
import { problems } from '../../http/problem';
import { guards } from '../../http/routes';
import { isContactPointOf } from '../../partnership/contacts';
import { overdue } from '../../partnership/overdue';
import type { Ctx, PortalRoute } from '../context';
import { one } from '../forms';
import { queryParam } from './analyst';
import { idOf } from './request-facts';
import { reportListView, reportView, type PartnershipHome } from './reports-views';

export function reportPageRoutes(): PortalRoute[] {
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
        await ctx.deps.services.outcomes.recordForRequest(ctx.identity, idOf(ctx), outcomeInput(ctx));
        ctx.redirect(`/portal/requests/${idOf(ctx)}`, 'Outcome recorded.');
      },
    },
    {
      method: 'post',
      path: '/lookups/:lookupId/outcomes',
      guard: guards.anyOf('outcomes:record'),
      handler: async (ctx) => {
        const lookupId = String(ctx.req.params.lookupId);
        if (!/^[0-9a-f-]{36}$/.test(lookupId)) throw problems.notFound('No such lookup.');
        await ctx.deps.services.outcomes.recordForLookup(ctx.identity, lookupId, outcomeInput(ctx));
        // A lookup has no page of its own to go back to: its outcome is in the report.
        ctx.redirect('/portal/lookup', `Outcome recorded for lookup ${lookupId}.`);
      },
    },
  ];
}

/** The outcome form's kind and note, as the API's body (the service checks it). */
function outcomeInput(ctx: Ctx) {
  const note = one(ctx.form, 'note').trim();
  return { kind: one(ctx.form, 'kind'), ...(note ? { note } : {}) };
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
