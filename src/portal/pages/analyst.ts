/** Analyst pages: hit/no-hit search, a guided detail request, my requests, the disclosure. */
import { guards } from '../../http/routes';
import { bodyValidator, schemas } from '../../http/validate';
import lookupSchema from '../../../schemas/api/lookup.schema.json';
import type { LookupInput } from '../../lookups/service';
import { DISCLOSURE_READ_DENIED } from '../../requests/service';
import { FIELD_CATALOGUE } from '../../records/canonical';
import type { ReadDecision } from '../../safes/read';
import type { RequestInput } from '../../safes/types';
import { ProblemError, problems } from '../../http/problem';
import { all, one } from '../forms';
import { html } from '../html';
import { csrfField } from '../layout';
import type { Ctx, PortalRoute } from '../context';
import { receiptText } from '../../audit/receipts';
import { providerView } from './responder';
import {
  disclosureView,
  lookupResultsView,
  myRequestsView,
  readingRefusedView,
  refusedView,
  requestView,
  searchAgain,
} from './analyst-views';
import { idOf, roundingBaseOf } from './request-facts';
import type { StoredRequest } from '../../requests/types';
import type { Agreement } from '../../policy/types';

const validateCreate = bodyValidator<RequestInput>(schemas.requestCreate);
const validateLookup = bodyValidator<LookupInput>(lookupSchema);

export const IDENTIFIER_TYPES = [
  'hin',
  'boat-registration',
  'vin',
  'vehicle-registration',
  'engine-serial',
  'part-serial',
];

/** "type:value" lines → identifiers; a line without a known type is a form error. */
function parseIdentifiers(text: string) {
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

const caseHint = (ctx: Ctx, agreementId: string) => {
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
      handler: async (ctx) => ctx.render('Hit/no-hit search', lookupForm(ctx)),
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
        const result = await ctx.deps.services.lookups.lookup(ctx.identity, input, {
          sourceIp: ctx.req.ip ?? '',
          tls: ctx.req.secure,
        });
        if (result.decision.outcome === 'deny') {
          return ctx.render('Search refused', refusedView(result.decision, searchAgain), 403);
        }
        ctx.render('Search results', lookupResultsView(input, result));
      },
    },
    {
      method: 'get',
      path: '/requests/new',
      // The agreements' datasets, fields and case-reference forms: for those who may request only.
      guard: guards.anyOf('requests:create'),
      handler: async (ctx) => ctx.render('New detail request', newRequestForm(ctx)),
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
        if (side === 'provider') return providerView(ctx, request);
        ctx.render(
          `Request ${request.input.caseRef}`,
          requestView(request, { csrf: ctx.user.csrf, now: ctx.deps.clock() }),
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
          disclosureView(request, { now: ctx.deps.clock(), roundingBase: roundingBaseOf(ctx, request) }),
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
    .readDisclosure(ctx.identity, idOf(ctx), { sourceIp: ctx.req.ip ?? '', tls: ctx.req.secure })
    .catch((error: unknown) => {
      if (!(error instanceof ProblemError && error.code === DISCLOSURE_READ_DENIED)) throw error;
      const { safes } = error.extensions.decision as ReadDecision;
      ctx.render('Reading refused', readingRefusedView(safes, idOf(ctx)), 403);
      return undefined;
    });
}

function purposeOptions(purposes: string[]) {
  return purposes.map((p) => html`<option value="${p}">${p}</option>`);
}

function lookupForm(ctx: Ctx) {
  const agreements = agreementsFor(ctx);
  const purposes = [...new Set(agreements.flatMap((a) => a.purposes))];
  return html`<form class="stack" method="post" action="/portal/lookup">
    ${csrfField(ctx.user.csrf)}
    <div>
      <label for="agreementId">Agreement</label
      ><select id="agreementId" name="agreementId" required>
        ${agreements.map((a) => html`<option value="${a.id}">${a.title} (${a.id})</option>`)}
      </select>
    </div>
    <div>
      <label for="identifiers">Identifiers, one per line as type:value</label>
      <textarea
        id="identifiers"
        name="identifiers"
        rows="4"
        required
        aria-describedby="identifiers-hint"
      ></textarea>
      <p class="hint" id="identifiers-hint">
        Types: ${IDENTIFIER_TYPES.join(', ')}. Example: hin:NL-HXAB7A33G293
      </p>
    </div>
    <div>
      <label for="purpose">Purpose</label
      ><select id="purpose" name="purpose" required>
        ${purposeOptions(purposes)}
      </select>
    </div>
    <div>
      <label for="caseRef">Case reference</label
      ><input type="text" id="caseRef" name="caseRef" required aria-describedby="caseRef-hint" />
      <p class="hint" id="caseRef-hint">${agreements[0] ? caseHint(ctx, agreements[0].id) : ''}</p>
    </div>
    <div><button type="submit">Search</button></div>
  </form>`;
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
  const request = await ctx.deps.services.requests.create(ctx.identity, input, {
    sourceIp: ctx.req.ip ?? '',
    tls: ctx.req.secure,
  });
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

/** The agreement a form is under, with the way back to choosing another. */
export function agreementSummary(agreement: Agreement, changeHref: string) {
  return html`<p>
    Agreement: <strong>${agreement.title}</strong> (${agreement.id}) ·
    <a href="${changeHref}">change</a>
  </p>`;
}

/** Every request form's last fields: the agreement's purposes and the case reference in its form. */
export function purposeAndCase(ctx: Ctx, agreement: Agreement) {
  return html`<div>
      <label for="purpose">Purpose</label
      ><select id="purpose" name="purpose" required>
        ${purposeOptions(agreement.purposes)}
      </select>
    </div>
    <div>
      <label for="caseRef">Case reference</label
      ><input type="text" id="caseRef" name="caseRef" required aria-describedby="caseRef-hint" />
      <p class="hint" id="caseRef-hint">${caseHint(ctx, agreement.id)}</p>
    </div>`;
}

/** A form's first step: which agreement (a GET to `action`). */
export function agreementPicker(action: string, agreements: Agreement[]) {
  return html`<form class="stack" method="get" action="${action}">
    <div>
      <label for="agreement">1. Agreement</label
      ><select id="agreement" name="agreement" required>
        ${agreements.map((a) => html`<option value="${a.id}">${a.title} (${a.id})</option>`)}
      </select>
    </div>
    <div><button type="submit">Continue</button></div>
  </form>`;
}

/** A form's second step: which of the agreement's datasets (a GET to `action`, carrying `hidden`). */
export function datasetPicker(
  action: string,
  agreement: Agreement,
  datasets: Agreement['datasets'],
  hidden: Record<string, string> = {},
) {
  return html`<form class="stack" method="get" action="${action}">
    <input type="hidden" name="agreement" value="${agreement.id}" />
    ${Object.entries(hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <div>
      <label for="dataset">2. Provider and dataset</label
      ><select id="dataset" name="dataset" required>
        ${datasets.map(
          (d) =>
            html`<option value="${d.provider}/${d.id}">
              ${d.provider} — ${d.id} (${d.objectTypes.join(', ')})
            </option>`,
        )}
      </select>
    </div>
    <div><button type="submit">Continue</button></div>
  </form>`;
}

/** Step by step: the agreement, then a dataset the agreement shares, then the fields it allows. */
function newRequestForm(ctx: Ctx) {
  const q = (name: string) => queryParam(ctx, name);
  const agreements = agreementsFor(ctx);
  const agreement = agreements.find((a) => a.id === q('agreement'));
  const ref = q('ref');
  if (!agreement) {
    if (!agreements.length)
      return html`<p class="error">Your organisation is not a requester in any agreement.</p>`;
    return agreementPicker('/portal/requests/new', agreements);
  }
  const provider = q('provider');
  const datasets = agreement.datasets.filter((d) => !provider || d.provider === provider);
  const chosen =
    datasets.find((d) => `${d.provider}/${d.id}` === q('dataset')) ??
    (datasets.length === 1 ? datasets[0] : undefined);
  const summary = agreementSummary(agreement, '/portal/requests/new');
  if (!chosen) {
    return html`${summary} ${datasetPicker('/portal/requests/new', agreement, datasets, ref ? { ref } : {})}`;
  }
  return html`${summary}
    <form class="stack" method="post" action="/portal/requests">
      ${csrfField(ctx.user.csrf)}
      <input type="hidden" name="agreementId" value="${agreement.id}" />
      <input type="hidden" name="dataset" value="${chosen.provider}/${chosen.id}" />
      <p>
        Provider and dataset: <strong>${chosen.provider} — ${chosen.id}</strong> (classification
        ${chosen.classification})
      </p>
      <fieldset>
        <legend>3. Fields the agreement allows</legend>
        <p class="hint">Personal data is not ticked: tick only what the case needs.</p>
        ${chosen.fields.map((f, i) => {
          // Data minimisation: personal fields are asked for by choice, never by default.
          const personal = FIELD_CATALOGUE[f]?.personal === true;
          return html`<div class="check">
            <input
              type="checkbox"
              id="field-${i}"
              name="fields"
              value="${f}"
              ${personal ? '' : 'checked'}
            /><label for="field-${i}"
              >${f}${personal ? ' (personal data)' : ''}${chosen.pseudonymise.includes(f) ? ' (pseudonymised)' : ''}${chosen.generalise?.[f] ? ` (generalised to ${chosen.generalise[f]})` : ''}</label
            >
          </div>`;
        })}
      </fieldset>
      <div>
        <label for="identifiers">Identifiers, one per line as type:value</label>
        <textarea id="identifiers" name="identifiers" rows="3" aria-describedby="identifiers-hint"></textarea>
        <p class="hint" id="identifiers-hint">
          Types: ${IDENTIFIER_TYPES.join(', ')}. Give identifiers, or a record reference from a hit, or both.
        </p>
      </div>
      <div>
        <label for="recordRefs">Record references from hits (optional)</label
        ><input type="text" id="recordRefs" name="recordRefs" value="${ref}" />
      </div>
      ${purposeAndCase(ctx, agreement)}
      <div><button type="submit">Send the request</button></div>
    </form>`;
}
