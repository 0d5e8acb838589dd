/** Analyst pages: hit/no-hit search, a guided detail request, my requests, the disclosure. */
import { callSetting } from '../../http/request-context';
import { guards } from '../../http/routes';
import { bodyValidator, schemas } from '../../http/validate';
import lookupSchema from '../../../schemas/api/lookup.schema.json';
import type { LookupInput } from '../../lookups/service';
import { DISCLOSURE_READ_DENIED } from '../../requests/service';
import type { ReadDecision } from '../../safes/read';
import type { RequestInput } from '../../safes/types';
import { ProblemError, problems } from '../../http/problem';
import { all, one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { receiptText } from '../../audit/receipts';
import { renderProviderPage } from './responder';
import {
  disclosureView,
  lookupFormView,
  lookupResultsView,
  newRequestView,
  type NewRequestStep,
  myRequestsView,
  readingRefusedView,
  refusedView,
  requestView,
  searchAgain,
} from './analyst-views';
import { contactsOf, idOf, roundingBaseOf } from './request-facts';
import { IDENTIFIER_TYPES } from './request-views';
import type { StoredRequest } from '../../requests/types';

const validateCreate = bodyValidator<RequestInput>(schemas.requestCreate);
const validateLookup = bodyValidator<LookupInput>(lookupSchema);

/** "type:value" lines → identifiers; a line without a known type is a form error. */
export function parseIdentifiers(text: string) {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const colon = line.indexOf(':');
      const type = colon > 0 ? line.slice(0, colon).trim() : '';
      if (!IDENTIFIER_TYPES.includes(type))
        throw problems.badRequest(
          `Write each identifier as type:value (types: ${IDENTIFIER_TYPES.join(', ')}).`,
        );
      return { type, value: line.slice(colon + 1).trim() };
    });
}

export const agreementsFor = (ctx: Ctx) =>
  [...ctx.deps.bundle().agreements.values()].filter((a) =>
    a.parties.requesters.includes(ctx.identity.partnerId),
  );

export const caseHint = (ctx: Ctx, agreementId: string) => {
  const pattern = ctx.deps.bundle().agreements.get(agreementId)?.safes.project.caseRefPatterns[
    ctx.identity.partnerId
  ];
  return pattern ? `Must match the agreed form ${pattern}` : 'Your case reference';
};

export function analystRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/lookup',
      // The form lists the agreements and their case-reference forms: for those who may search only.
      // The search itself is decided (and logged) by the safes, whoever sends it, as the API's.
      guard: guards.anyOf('lookups:create'),
      handler: async (ctx) => {
        const agreements = agreementsFor(ctx);
        const hint = agreements[0] ? caseHint(ctx, agreements[0].id) : '';
        ctx.render('Hit/no-hit search', lookupFormView(ctx.user.csrf, agreements, hint));
      },
    },
    {
      method: 'post',
      path: '/lookup',
      guard: guards.authenticated,
      handler: async (ctx) => {
        const input = validateLookup({
          agreementId: one(ctx.form, 'agreementId'),
          identifiers: parseIdentifiers(one(ctx.form, 'identifiers')),
          purpose: one(ctx.form, 'purpose'),
          caseRef: one(ctx.form, 'caseRef'),
        });
        const result = await ctx.deps.services.lookups.lookup(ctx.identity, input, callSetting(ctx.req));
        if (result.decision.outcome === 'deny') {
          return ctx.render('Search refused', refusedView(result.decision, searchAgain), 403);
        }
        ctx.render('Search results', lookupResultsView(input, result, ctx.user.csrf));
      },
    },
    {
      method: 'get',
      path: '/requests/new',
      // The agreements' datasets, fields and case-reference forms: for those who may request only.
      guard: guards.anyOf('requests:create'),
      handler: async (ctx) =>
        ctx.render('New detail request', newRequestView(loadNewRequest(ctx), ctx.user.csrf)),
    },
    {
      method: 'post',
      path: '/requests',
      guard: guards.authenticated,
      handler: async (ctx) => {
        const fields = all(ctx.form, 'fields');
        // The form ticks no personal field: an analyst who unticks the rest must choose, not get all.
        if (fields.length === 0)
          throw problems.badRequest('Choose at least one field: none was chosen, and none is assumed.', {
            errors: [{ pointer: '/fields', detail: 'tick the fields the case needs' }],
          });
        const input = validateCreate({
          ...requestBasics(ctx),
          identifiers: parseIdentifiers(one(ctx.form, 'identifiers')),
          recordRefs: all(ctx.form, 'recordRefs')
            .flatMap((v) => v.split(/\s+/))
            .filter(Boolean),
          fields,
        });
        const request = await sendRequest(
          ctx,
          input,
          `/portal/requests/new?agreement=${encodeURIComponent(input.agreementId)}`,
        );
        if (request)
          ctx.redirect(`/portal/requests/${request.id}`, 'Request sent: it is now in the provider’s inbox.');
      },
    },
    {
      method: 'get',
      path: '/requests',
      guard: guards.anyOf('requests:read-own'),
      handler: async (ctx) => {
        const items = await ctx.deps.services.requests.listOwn(ctx.identity);
        ctx.render('My requests', myRequestsView(items));
      },
    },
    {
      method: 'get',
      path: '/requests/:id',
      guard: guards.anyOf('requests:read-own', 'inbox:read'),
      handler: async (ctx) => {
        const { request, side } = await ctx.deps.services.requests.get(ctx.identity, idOf(ctx));
        if (side === 'provider') return renderProviderPage(ctx, request);
        const outcomes = request.disclosedAt
          ? await ctx.deps.services.outcomes.ofSource(request.input.agreementId, 'request', request.id)
          : [];
        const partnership = { contacts: contactsOf(ctx, request), outcomes, mayRecord: true };
        ctx.render(
          `Request ${request.input.caseRef}`,
          requestView(request, { csrf: ctx.user.csrf, now: ctx.deps.clock(), partnership }),
        );
      },
    },
    {
      method: 'post',
      path: '/requests/:id/withdraw',
      guard: guards.anyOf('requests:withdraw'),
      handler: async (ctx) => {
        const request = await ctx.deps.services.requests.withdraw(ctx.identity, idOf(ctx));
        ctx.redirect(`/portal/requests/${request.id}`, 'Request withdrawn.');
      },
    },
    {
      method: 'get',
      path: '/requests/:id/disclosure',
      // The same check as the API's: the service passes the reader through the safes and logs the read.
      guard: guards.authenticated,
      handler: async (ctx) => {
        const request = await readDisclosureOrRefuse(ctx);
        if (!request) return;
        ctx.render(
          `Disclosure for ${request.input.caseRef}`,
          disclosureView(request, {
            now: ctx.deps.clock(),
            roundingBase: roundingBaseOf(ctx, request),
            contacts: contactsOf(ctx, request),
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/requests/:id/receipt',
      // Like the request page: either side of the request, checked again by the service.
      guard: guards.anyOf('requests:read-own', 'inbox:read'),
      handler: async (ctx) => {
        const receipt = await ctx.deps.services.requests.receipt(ctx.identity, idOf(ctx));
        ctx.res.setHeader('Content-Disposition', `attachment; filename="receipt-${idOf(ctx)}.json"`);
        ctx.res.type('application/json').send(receiptText(receipt));
      },
    },
  ];
}

/**
 * The disclosure for its reader, through the service's check and logged read; a refusal by the safes
 * is rendered here (403 page) and gives undefined.
 */
export async function readDisclosureOrRefuse(ctx: Ctx): Promise<StoredRequest | undefined> {
  return ctx.deps.services.requests
    .readDisclosure(ctx.identity, idOf(ctx), callSetting(ctx.req))
    .catch((error: unknown) => {
      if (!(error instanceof ProblemError && error.code === DISCLOSURE_READ_DENIED)) throw error;
      const { safes } = error.extensions.decision as ReadDecision;
      ctx.render('Reading refused', readingRefusedView(safes, idOf(ctx)), 403);
      return undefined;
    });
}

/** What every request form sends: the agreement, the provider and dataset, the purpose and the case. */
export function requestBasics(ctx: Ctx) {
  const [providerId, datasetId] = one(ctx.form, 'dataset').split('/');
  return {
    agreementId: one(ctx.form, 'agreementId'),
    providerId: providerId ?? '',
    datasetId: datasetId ?? '',
    purpose: one(ctx.form, 'purpose'),
    caseRef: one(ctx.form, 'caseRef'),
  };
}

/**
 * Sends a request (detail or table) through the safes; a refusal is rendered here (403, with the
 * decision and a way back to `again`) and gives undefined.
 */
export async function sendRequest(
  ctx: Ctx,
  input: RequestInput,
  again: string,
): Promise<StoredRequest | undefined> {
  const request = await ctx.deps.services.requests.create(ctx.identity, input, callSetting(ctx.req));
  if (request.state !== 'denied') return request;
  ctx.render(
    'Request refused',
    refusedView(request.decision, { href: again, label: 'Start a new request' }, request.id),
    403,
  );
  return undefined;
}

/** A query-string parameter of the page, '' when absent or repeated. */
export function queryParam(ctx: Ctx, name: string): string {
  return typeof ctx.req.query[name] === 'string' ? (ctx.req.query[name] as string) : '';
}

/** Step by step: the agreement, then a dataset the agreement shares, then the fields it allows. */
function loadNewRequest(ctx: Ctx): NewRequestStep {
  const q = (name: string) => queryParam(ctx, name);
  const agreements = agreementsFor(ctx);
  const agreement = agreements.find((a) => a.id === q('agreement'));
  const ref = q('ref');
  if (!agreement) return { agreements, ref };
  const provider = q('provider');
  const datasets = agreement.datasets.filter((d) => !provider || d.provider === provider);
  const chosen =
    datasets.find((d) => `${d.provider}/${d.id}` === q('dataset')) ??
    (datasets.length === 1 ? datasets[0] : undefined);
  return { agreements, ref, agreement, datasets, chosen, caseHint: caseHint(ctx, agreement.id) };
}
