/** What both sides' request pages show of a request (analyst-views.ts, responder-views.ts). */
import type { Contact, PartyContacts } from '../../policy/types';
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

function contactLine(role: string, c: Contact) {
  return html`<li>
    <strong>${role}</strong>: ${c.name},
    <a href="mailto:${c.email}">${c.email}</a
    >${c.phone ? html`, <a href="tel:${c.phone.replace(/\s+/g, '')}">${c.phone}</a>` : ''}
  </li>`;
}

/** "Whom to call": the other party's contact point, DPO and escalation contact, from the agreement. */
export function whomToCall(partyId: string, contacts: PartyContacts | null) {
  return html`<section class="contacts" aria-labelledby="whom-h">
    <h2 id="whom-h">Whom to call at ${partyId}</h2>
    ${
      contacts
        ? html`<ul>
            ${contactLine('Contact point', contacts.contactPoint)}
            ${contactLine('Data protection officer', contacts.dpo)}
            ${contactLine('Escalation', contacts.escalation)}
          </ul>`
        : html`<p class="hint">The agreement names no contacts for ${partyId}.</p>`
    }
  </section>`;
}
