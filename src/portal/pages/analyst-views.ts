/**
 * The analyst pages' markup: each view takes what its handler (analyst.ts) gathered and calls no
 * service, so what a page shows can be read apart from how its data is found.
 */
import type { LookupInput, LookupResult } from '../../lookups/service';
import { handlingOf, handlingShownTo, handlingView } from '../../requests/handling';
import type { StoredRequest } from '../../requests/types';
import type { ReadDecision } from '../../safes/read';
import type { Decision } from '../../safes/types';
import { dataTable } from '../data-table';
import { html } from '../html';
import { identifierResultsTable } from '../identifier-results';
import { csrfField } from '../layout';
import { tableView } from '../table-view';
import { decisionView, recordsTable, refusalView, stateLabel, timeLeft } from '../views';
import { askedFacts, receiptLink } from './request-facts';

export const searchAgain = { href: '/portal/lookup', label: 'Search again' };

/** A search or a request the safes refused: the decision, and the way back to `again`. */
export function refusedView(decision: Decision, again: { href: string; label: string }, recordedId?: string) {
  return html`${decisionView(decision)}
    ${recordedId ? html`<p class="hint">Request ${recordedId} was recorded as denied.</p>` : ''}
    <p><a href="${again.href}">${again.label}</a></p>`;
}

export function lookupResultsView(input: LookupInput, result: LookupResult) {
  const invalidCount = result.results.filter((r) => r.status === 'invalid').length;
  const hits = dataTable(
    result.hits,
    [
      {
        header: 'Identifier',
        cell: (h) => `${input.identifiers[h.query].type}:${input.identifiers[h.query].value}`,
      },
      { header: 'Held by', cell: (h) => h.providerId },
      { header: 'Object', cell: (h) => h.objectType },
      {
        header: 'Next',
        cell: (h) =>
          html`<a
            href="/portal/requests/new?agreement=${encodeURIComponent(input.agreementId)}&amp;provider=${encodeURIComponent(h.providerId)}&amp;ref=${encodeURIComponent(h.recordRef)}"
            >Request details</a
          >`,
      },
    ],
    { caption: 'Hits' },
  );
  return html`<p class="ok" role="status">
      ${result.hits.length ? `${result.hits.length} hit(s)` : 'No hit'} for ${input.identifiers.length}
      identifier(s)${invalidCount ? `, ${invalidCount} invalid and not searched` : ''}. Hits name who holds a
      record, never its content.
    </p>
    ${identifierResultsTable(result.results, input.identifiers)} ${result.hits.length ? hits : ''}
    <p><a href="/portal/lookup">New search</a></p>`;
}

export function myRequestsView(items: readonly StoredRequest[]) {
  return dataTable(
    items,
    [
      { header: 'Created', cell: (r) => html`<a href="/portal/requests/${r.id}">${r.createdAt}</a>` },
      { header: 'Case', cell: (r) => r.input.caseRef },
      { header: 'Agreement', cell: (r) => r.input.agreementId },
      { header: 'Provider / dataset', cell: (r) => `${r.input.providerId} / ${r.input.datasetId}` },
      { header: 'State', cell: (r) => stateLabel(r.state) },
      { header: 'Expires', cell: (r) => r.expiresAt ?? '' },
    ],
    { empty: html`<p>No requests yet. <a href="/portal/requests/new">Make one</a>.</p>` },
  );
}

/** The requester's view of a request: its facts, the way to the disclosure or to withdraw, the decision. */
export function requestView(request: StoredRequest, page: { csrf: string; now: Date }) {
  const h = handlingView(handlingShownTo(request, 'requester'));
  return html`<dl class="facts">
      <dt>State</dt>
      <dd>${stateLabel(request.state)}</dd>
      <dt>Agreement</dt>
      <dd>${request.input.agreementId}</dd>
      <dt>Provider / dataset</dt>
      <dd>${request.input.providerId} / ${request.input.datasetId}</dd>
      <dt>Purpose</dt>
      <dd>${request.input.purpose}</dd>
      ${askedFacts(request)}
      <dt>Handling</dt>
      <dd>TLP:${h.tlp}</dd>
      ${
        request.declineReason
          ? html`<dt>Provider’s reason</dt>
              <dd class="decline-reason">${request.declineReason}</dd>`
          : ''
      }
    </dl>
    ${request.state === 'disclosed' ? html`<p><a class="button" href="/portal/requests/${request.id}/disclosure">Read the disclosure</a> <span class="hint">Time left: ${timeLeft(request.expiresAt, page.now)}</span></p>` : ''}
    ${
      ['awaiting_provider', 'answered', 'withheld'].includes(request.state)
        ? html`<form method="post" action="/portal/requests/${request.id}/withdraw">
            ${csrfField(page.csrf)}<button type="submit" class="secondary">Withdraw this request</button>
          </form>`
        : ''
    }
    <h2>Decision</h2>
    ${decisionView(request.decision)}`;
}

/** The disclosure under its handling banner: the released table or records, and the receipt. */
export function disclosureView(request: StoredRequest, page: { now: Date; roundingBase?: number }) {
  const h = handlingView(handlingOf(request));
  const records = Array.isArray(request.disclosure) ? request.disclosure : [];
  return html`<section class="banner tlp-${h.tlp}" aria-label="Handling">
      <p><strong>TLP:${h.tlp}</strong> — ${h.meaning}</p>
      ${
        h.conditions.length
          ? html`<ul>
              ${h.conditions.map((c) => html`<li>${c}</li>`)}
            </ul>`
          : ''
      }
      <p>
        Time left:
        <strong class="time-left">${timeLeft(request.expiresAt, page.now)}</strong> (until
        ${request.expiresAt ?? '—'}); then the records are purged. This reading is logged.
      </p>
    </section>
    ${
      request.disclosure && !Array.isArray(request.disclosure)
        ? html`${tableView(request.disclosure, 'Released table', { roundingBase: page.roundingBase })}
            <p>
              <a class="button secondary" href="/portal/requests/${request.id}/disclosure.csv" download
                >Download the table (CSV)</a
              >
              <span class="hint">The file starts with its handling line; the handling above applies.</span>
            </p>`
        : recordsTable(records, 'Released records')
    }
    ${receiptLink(request.id)}
    <p><a href="/portal/requests/${request.id}">Back to the request</a></p>`;
}

export function readingRefusedView(safes: ReadDecision['safes'], id: string) {
  return html`${refusalView(safes)}
    <p>This attempt is logged. <a href="/portal/requests/${id}">Back to the request</a></p>`;
}
