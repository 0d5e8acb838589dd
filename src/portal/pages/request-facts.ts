/**
 * What both sides' request pages tell of a request: what it asks, its id from the path and the rounding
 * its agreement applies. Apart from the pages so that neither page module imports the other's.
 */
import { problems } from '../../http/problem';
import type { StoredRequest } from '../../requests/types';
import { resolveRules } from '../../sdc';
import type { Ctx } from '../context';
import { html } from '../html';
import { querySummary } from '../table-view';

/** What a request asks: a table's query, or a detail request's fields and identifiers. */
export function askedFacts(request: StoredRequest) {
  const query = request.input.query;
  if (query)
    return html`<dt>Table</dt>
      <dd class="table-query">${querySummary(query)}</dd>`;
  return html`<dt>Fields</dt>
    <dd>${request.input.fields.join(', ')}</dd>
    <dt>Identifiers</dt>
    <dd>${request.input.identifiers.map((i) => `${i.type}:${i.value}`).join(', ') || '—'}</dd>`;
}

/** The rounding base the request's agreement applies to tables (what "rounded" means). */
export function roundingBaseOf(ctx: Ctx, request: StoredRequest): number | undefined {
  const sdc = ctx.deps.bundle().agreements.get(request.input.agreementId)?.safes.output.aggregates?.sdc;
  return sdc ? resolveRules(sdc).roundingBase : undefined;
}

export function idOf(ctx: Ctx): string {
  const id = String(ctx.req.params.id);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound('No such request.');
  return id;
}

/** Both sides' download of the disclosure's receipt (analyst.ts serves it). */
export function receiptLink(id: string) {
  return html`<p>
    <a class="button secondary" href="/portal/requests/${id}/receipt" download>Download the receipt</a>
    <span class="hint">Proves the disclosure is in the signed log: fsg audit verify-receipt</span>
  </p>`;
}

/** The identifier types the forms take, as `type:value` lines. */
export const IDENTIFIER_TYPES = [
  'hin',
  'boat-registration',
  'vin',
  'vehicle-registration',
  'engine-serial',
  'part-serial',
];
