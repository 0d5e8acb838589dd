/**
 * The analyst pages' markup: each view takes what its handler (analyst.ts) gathered and calls no
 * service, so what a page shows can be read apart from how its data is found.
 */
import type { LookupInput, LookupResult } from '../../lookups/service';
import { handlingOf, handlingShownTo, handlingView } from '../../requests/handling';
import { NO_INFORMATION, type StoredRequest } from '../../requests/types';
import { answerOf } from '../../requests/views';
import type { Agreement } from '../../policy/types';
import { FIELD_CATALOGUE } from '../../records/canonical';
import type { ReadDecision } from '../../safes/read';
import type { Decision } from '../../safes/types';
import { dataTable } from '../data-table';
import { html } from '../html';
import { identifierResultsTable } from '../identifier-results';
import { csrfField } from '../layout';
import { tableView } from '../table-view';
import { decisionView, recordsTable, refusalView, stateLabel, timeLeft } from '../views';
import { askedFacts, IDENTIFIER_TYPES, receiptLink, whomToCall } from './request-views';
import type { RequestContacts } from '../../partnership/contacts';
import type { Recorded } from '../../partnership/registry';
import type { Outcome } from '../../partnership/types';
import { outcomesView } from './reports-views';

/** What the analyst's request page shows of the partnership: whom to call, and what the disclosure led to. */
export interface RequestPartnership {
  contacts: RequestContacts;
  outcomes: readonly Recorded<Outcome>[];
  /** The form to record an outcome (for the request's analyst, once disclosed). */
  mayRecord: boolean;
}

export const searchAgain = { href: '/portal/lookup', label: 'Search again' };

/** A search or a request the safes refused: the decision, and the way back to `again`. */
export function refusedView(decision: Decision, again: { href: string; label: string }, recordedId?: string) {
  return html`${decisionView(decision)}
    ${recordedId ? html`<p class="hint">Request ${recordedId} was recorded as denied.</p>` : ''}
    <p><a href="${again.href}">${again.label}</a></p>`;
}

export function lookupResultsView(input: LookupInput, result: LookupResult, csrf: string) {
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
    ${result.hits.length ? outcomesView(`/portal/lookups/${result.id}/outcomes`, [], csrf) : ''}
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
      { header: 'State', cell: (r) => stateLabel(answerOf(r)) },
      { header: 'Expires', cell: (r) => r.expiresAt ?? '' },
    ],
    { empty: html`<p>No requests yet. <a href="/portal/requests/new">Make one</a>.</p>` },
  );
}

/** The requester's view of a request: its facts, the way to the disclosure or to withdraw, the decision. */
export function requestView(
  request: StoredRequest,
  page: { csrf: string; now: Date; partnership: RequestPartnership },
) {
  const { contacts, outcomes, mayRecord } = page.partnership;
  const h = handlingView(handlingShownTo(request, 'requester'));
  return html`<dl class="facts">
      <dt>State</dt>
      <dd>${stateLabel(answerOf(request))}</dd>
      ${
        request.question
          ? html`<dt>Question to all providers</dt>
              <dd>
                <span class="question-text">${request.question.text}</span>
                <a href="/portal/questions/${request.question.id}">Every provider’s answer</a>
              </dd>`
          : ''
      }
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
        request.declineReason && request.declineReason !== NO_INFORMATION
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
    ${
      request.disclosedAt
        ? outcomesView(`/portal/requests/${request.id}/outcomes`, outcomes, mayRecord ? page.csrf : undefined)
        : ''
    }
    ${request.state === 'denied' ? '' : whomToCall(request.input.providerId, contacts.provider)}
    <h2>Decision</h2>
    ${decisionView(request.decision)}`;
}

/** The disclosure under its handling banner: the released table or records, and the receipt. */
export function disclosureView(
  request: StoredRequest,
  page: { now: Date; roundingBase?: number; contacts: RequestContacts },
) {
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
    ${receiptLink(request.id)} ${whomToCall(request.input.providerId, page.contacts.provider)}
    <p><a href="/portal/requests/${request.id}">Back to the request: record what it led to</a></p>`;
}

export function readingRefusedView(safes: ReadDecision['safes'], id: string) {
  return html`${refusalView(safes)}
    <p>This attempt is logged. <a href="/portal/requests/${id}">Back to the request</a></p>`;
}

function purposeOptions(purposes: readonly string[]) {
  return purposes.map((p) => html`<option value="${p}">${p}</option>`);
}

/** The search form: the agreements the caller may search under, their purposes, the case reference. */
export function lookupFormView(csrf: string, agreements: readonly Agreement[], firstCaseHint: string) {
  const purposes = [...new Set(agreements.flatMap((a) => a.purposes))];
  return html`<form class="stack" method="post" action="/portal/lookup">
    ${csrfField(csrf)}
    <div>
      <label for="agreementId">Agreement</label
      ><select id="agreementId" name="agreementId" required>
        ${agreements.map((a) => html`<option value="${a.id}">${a.title} (${a.id})</option>`)}
      </select>
    </div>
    ${identifiersField({ rows: 4, required: true, hint: 'Example: hin:NL-HXAB7A33G293' })}
    ${purposeAndCase(purposes, firstCaseHint)}
    <div><button type="submit">Search</button></div>
  </form>`;
}

/** The agreement a form is under, with the way back to choosing another. */
export function agreementSummary(agreement: Agreement, changeHref: string) {
  return html`<p>
    Agreement: <strong>${agreement.title}</strong> (${agreement.id}) ·
    <a href="${changeHref}">change</a>
  </p>`;
}

/** Every request form's last fields: the agreement's purposes and the case reference in its form. */
/** The identifiers a form sends, one `type:value` per line, with the types the gateway knows. */
export function identifiersField(options: { rows: number; required: boolean; hint?: string }) {
  return html`<div>
    <label for="identifiers">Identifiers, one per line as type:value</label>
    <textarea
      id="identifiers"
      name="identifiers"
      rows="${options.rows}"
      ${options.required ? html`required` : ''}
      aria-describedby="identifiers-hint"
    ></textarea>
    <p class="hint" id="identifiers-hint">
      Types: ${IDENTIFIER_TYPES.join(', ')}.${options.hint ? ` ${options.hint}` : ''}
    </p>
  </div>`;
}

export function purposeAndCase(purposes: readonly string[], caseHint: string) {
  return html`<div>
      <label for="purpose">Purpose</label
      ><select id="purpose" name="purpose" required>
        ${purposeOptions(purposes)}
      </select>
    </div>
    <div>
      <label for="caseRef">Case reference</label
      ><input type="text" id="caseRef" name="caseRef" required aria-describedby="caseRef-hint" />
      <p class="hint" id="caseRef-hint">${caseHint}</p>
    </div>`;
}

/** A form's first step: which agreement (a GET to `action`). */
export function agreementPicker(action: string, agreements: readonly Agreement[]) {
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

/** Where the analyst is in making a detail request, from the page's query (analyst.ts gathers it). */
export interface NewRequestStep {
  agreements: readonly Agreement[];
  /** A record reference carried from a hit. */
  ref: string;
  agreement?: Agreement;
  /** The agreement's datasets, of the provider asked for if one was. */
  datasets?: Agreement['datasets'];
  chosen?: Agreement['datasets'][number];
  caseHint?: string;
}

/** The step's form: an agreement to choose, a dataset to choose, or the fields and identifiers. */
export function newRequestView(step: NewRequestStep, csrf: string) {
  const { agreements, agreement, datasets, chosen, ref } = step;
  if (!agreement || !datasets) {
    if (!agreements.length)
      return html`<p class="error">Your organisation is not a requester in any agreement.</p>`;
    return agreementPicker('/portal/requests/new', agreements);
  }
  const summary = agreementSummary(agreement, '/portal/requests/new');
  if (!chosen) {
    return html`${summary} ${datasetPicker('/portal/requests/new', agreement, datasets, ref ? { ref } : {})}`;
  }
  return html`${summary}
    <form class="stack" method="post" action="/portal/requests">
      ${csrfField(csrf)}
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
      ${identifiersField({
        rows: 3,
        required: false,
        hint: 'Give identifiers, or a record reference from a hit, or both.',
      })}
      <div>
        <label for="recordRefs">Record references from hits (optional)</label
        ><input type="text" id="recordRefs" name="recordRefs" value="${ref}" />
      </div>
      ${purposeAndCase(agreement.purposes, step.caseHint ?? '')}
      <div><button type="submit">Send the request</button></div>
    </form>`;
}
