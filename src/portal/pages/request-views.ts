/** What both sides' request pages show of a request (analyst-views.ts, responder-views.ts). */
import type { StoredRequest } from '../../requests/types';
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
