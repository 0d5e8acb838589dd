/**
 * Tables for analysts: a form that asks for a table within what the agreement allows (its closed lists
 * of dimensions and measures), and the released table as CSV. The safes decide and SDC protects, as for
 * the API's aggregate requests; the form only offers what could pass.
 */
import { tableCsv } from '../../aggregates/table-rows';
import { ProblemError, problems } from '../../http/problem';
import { guards } from '../../http/routes';
import { bodyValidator, schemas } from '../../http/validate';
import type { Agreement } from '../../policy/types';
import { handlingOf, handlingView } from '../../requests/handling';
import type { StoredRequest } from '../../requests/types';
import type { RequestInput } from '../../safes/types';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { tableFormView, type TableStep } from './tables-views';
import {
  agreementsFor,
  caseHint,
  queryParam,
  readDisclosureOrRefuse,
  requestBasics,
  sendRequest,
} from './analyst';

const validateCreate = bodyValidator<RequestInput>(schemas.requestCreate);

/** The agreements the caller may ask tables under: a requester in it, and it publishes tables. */
const tableAgreements = (ctx: Ctx) => agreementsFor(ctx).filter((a) => a.safes.output.aggregates);

/**
 * The dimensions the agreement allows, each at its listed granularity and, for dates, coarser
 * (a listed `theft.date:month` offers `theft.date:year` too, as `dimensionListed` allows).
 */
function dimensionChoices(agreement: Agreement): string[] {
  const listed = agreement.safes.output.aggregates?.dimensions ?? [];
  return [
    ...new Set(listed.flatMap((d) => (d.endsWith(':month') ? [d, d.replace(/:month$/, ':year')] : [d]))),
  ];
}

export function tableRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/tables/new',
      guard: guards.anyOf('requests:create'),
      handler: async (ctx) => ctx.render('New table', tableFormView(loadTableStep(ctx), ctx.user.csrf)),
    },
    {
      method: 'post',
      path: '/tables',
      // Like POST /requests: every caller gets a decision from the safes, logged.
      guard: guards.authenticated,
      handler: async (ctx) => {
        const input = validateCreate({ ...requestBasics(ctx), query: queryOf(ctx) });
        const request = await sendRequest(ctx, input, '/portal/tables/new');
        if (!request) return;
        ctx.redirect(`/portal/requests/${request.id}`, CREATED[request.state] ?? 'Table requested.');
      },
    },
    {
      method: 'get',
      path: '/requests/:id/disclosure.csv',
      // The same check and the same logged read as the disclosure page.
      guard: guards.authenticated,
      handler: async (ctx) => {
        const request = await readDisclosureOrRefuse(ctx);
        if (!request) return;
        if (!request.disclosure || Array.isArray(request.disclosure))
          throw problems.notFound('Only a released table downloads as CSV.');
        ctx.res.setHeader('Cache-Control', 'no-store');
        ctx.res.setHeader('Content-Disposition', `attachment; filename="table-${request.id}.csv"`);
        ctx.res.type('text/csv; charset=utf-8').send(tableCsv(request.disclosure, marking(request)));
      },
    },
  ];
}

const CREATED: Partial<Record<StoredRequest['state'], string>> = {
  disclosed: 'Table computed and released: read it below.',
  answered: 'Table computed: it waits for the provider’s approval before it is released.',
  withheld: 'The table failed statistical disclosure control and was withheld: nothing was released.',
};

/** The handling line a CSV download starts with, so it travels with the file. */
function marking(request: StoredRequest): string {
  const h = handlingView(handlingOf(request));
  const conditions = h.conditions.length ? ` Conditions: ${h.conditions.join(' ')}` : '';
  return `TLP:${h.tlp} — ${h.meaning}${conditions} Expires ${request.expiresAt ?? '—'}.`;
}

/** The query the form asks: its dimensions in order (none twice), its measure, its object type. */
function queryOf(ctx: Ctx): RequestInput['query'] {
  const groupBy = ['dimension1', 'dimension2', 'dimension3'].map((n) => one(ctx.form, n)).filter(Boolean);
  if (groupBy.length === 0 || new Set(groupBy).size !== groupBy.length)
    throw problems.badRequest('Choose one or more different dimensions.', {
      errors: [{ pointer: '/query/groupBy', detail: 'each dimension once, at least one' }],
    });
  const measure = one(ctx.form, 'measure');
  const objectType = one(ctx.form, 'objectType');
  return {
    type: 'aggregate',
    groupBy,
    measure: measure.startsWith('sum:') ? { sum: measure.slice(4) } : 'count',
    ...(objectType ? { objectType } : {}),
  };
}

/** Step by step, like the detail request: the agreement, the dataset, then the table itself. */
function loadTableStep(ctx: Ctx): TableStep {
  const q = (name: string) => queryParam(ctx, name);
  const agreements = tableAgreements(ctx);
  if (!agreements.length)
    throw new ProblemError({
      code: 'no-table-agreement',
      title: 'No agreement publishes tables to you',
      status: 403,
      detail: 'Your organisation is not a requester in any agreement that publishes tables.',
    });
  const agreement = agreements.find((a) => a.id === q('agreement'));
  if (!agreement) return { agreements };
  return {
    agreements,
    agreement,
    dataset: agreement.datasets.find((d) => `${d.provider}/${d.id}` === q('dataset')),
    dimensions: dimensionChoices(agreement),
    caseHint: caseHint(ctx, agreement.id),
  };
}
