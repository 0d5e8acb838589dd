/**
 * The responder pages' markup: each view takes what its handler (responder.ts) gathered and calls no
 * service, so what a page shows can be read apart from how its data is found.
 */
import { handlingOf, handlingView } from '../../requests/handling';
import type { StoredRequest } from '../../requests/types';
import { answerOf } from '../../requests/views';
import { TLP_LEVELS } from '../../policy/types';
import type { DatasetService } from '../../datasets/service';
import type { DatasetRecord } from '../../datasets/types';
import type { QuarantineEntry } from '../../mapping/types';
import { dataTable } from '../data-table';
import { html } from '../html';
import { csrfField } from '../layout';
import { tableView } from '../table-view';
import { recordsTable, stateLabel } from '../views';
import { askedFacts, receiptLink, whomToCall } from './request-views';
import type { RequestContacts } from '../../partnership/contacts';
import type { Overdue } from '../../partnership/overdue';

/** What an upload form offers: the partner's adapters, and in demo mode their example files. */
export interface UploadChoices {
  csrf: string;
  adapters: readonly { id: string; formats: readonly string[] }[];
  samples: readonly { adapterId: string; file: string }[];
}

/** Four eyes as it stands for this responder and this request's preview. */
export interface FourEyes {
  /** The agreement asks for two responders. */
  apply: boolean;
  /** A table's first approval is due: it releases nothing. */
  firstApprovalDue: boolean;
  /** The caller prepared the answer (or approved the table first). */
  preparedByCaller: boolean;
}

/** The provider's page of a request, as responder.ts gathers it. */
export interface ProviderPage {
  request: StoredRequest;
  csrf: string;
  legalBasis?: string;
  /** The provider's shared records that match the request. */
  hits: readonly DatasetRecord[];
  roundingBase?: number;
  fourEyes: FourEyes;
  upload: UploadChoices;
  /** Whom to call (the requester's side is the one shown) and whether the answer is overdue. */
  contacts: RequestContacts;
  overdue: Overdue;
}

export function providerPageView(page: ProviderPage) {
  const { request, csrf, hits } = page;
  const preview = request.preview;
  const h = handlingView(handlingOf(request));
  const open = ['awaiting_provider', 'answered', 'withheld'].includes(request.state);
  // A table is computed by the gateway from the shared dataset: there is nothing to answer, only to
  // approve or decline.
  const table = request.input.query !== undefined;
  return html`${overdueMark(page.overdue)}
    <dl class="facts">
      <dt>State</dt>
      <dd>${stateLabel(answerOf(request))}</dd>
      ${questionFacts(request)}
      <dt>Purpose</dt>
      <dd>${request.input.purpose}</dd>
      <dt>Legal basis</dt>
      <dd>${page.legalBasis ?? '—'}</dd>
      <dt>Case reference</dt>
      <dd>${request.input.caseRef}</dd>
      <dt>Agreement</dt>
      <dd>${request.input.agreementId}</dd>
      <dt>Dataset</dt>
      <dd>${request.input.datasetId}</dd>
      ${askedFacts(request)}
      ${
        table
          ? ''
          : html`<dt>Your shared records that match</dt>
              <dd>
                ${hits.length ? [...new Set(hits.map((r) => `${r.sourceRef} (${r.objectType})`))].join(', ') : '—'}
              </dd>`
      }
      <dt>Handling</dt>
      <dd>TLP:${h.tlp} — ${h.meaning}</dd>
      ${
        request.declineReason
          ? html`<dt>Decline reason</dt>
              <dd>${request.declineReason}</dd>`
          : ''
      }
    </dl>
    ${
      preview
        ? html`<h2>Preview: exactly what will leave</h2>
            <p class="${preview.outputCheck.outcome === 'pass' ? 'ok' : 'error'}" role="status">
              Output check:
              <strong class="output-check">${preview.outputCheck.outcome}</strong
              >${preview.outputCheck.reasons.map((r) => html` — ${r.message}`)}
            </p>
            ${
              preview.table
                ? tableView(preview.table, 'The table that will be released', {
                    roundingBase: page.roundingBase,
                    review: preview.tableReview,
                  })
                : html`${recordsTable(preview.records, 'Records that will be released')}
                  ${quarantineTable(preview.quarantine)}`
            }`
        : ''
    }
    ${request.disclosedAt ? receiptLink(request.id) : ''}
    ${
      request.state === 'answered'
        ? html`<div class="actions">
            <form method="post" action="/portal/requests/${request.id}/approve">
              ${csrfField(csrf)}
              <input type="hidden" name="previewVersion" value="${String(request.previewVersion)}" />
              ${
                preview?.outputCheck.outcome === 'review'
                  ? html`<label for="approve-reason">Reason for the exception</label
                      ><textarea
                        id="approve-reason"
                        name="reason"
                        rows="2"
                        required
                        aria-describedby="approve-reason-hint"
                      ></textarea>
                      <p class="hint" id="approve-reason-hint">
                        Logged with the disclosure: the analyst's receipt shows it. Name no person.
                      </p>`
                  : ''
              }
              ${handlingChoice(request)} ${fourEyesNotice(request, page.fourEyes)}
              <button type="submit">
                ${page.fourEyes.firstApprovalDue ? 'Approve (first of two)' : 'Approve and release'}
              </button>
            </form>
          </div>`
        : ''
    }
    ${
      open && table
        ? html`<h2>Decline</h2>
            ${declineForm(csrf, request)}`
        : ''
    }
    ${
      open && !table
        ? html`<h2>${preview ? 'Upload a corrected answer' : 'Answer'}</h2>
            ${
              hits.length
                ? html`<form
                    method="post"
                    action="/portal/requests/${request.id}/answer-shared"
                    class="stack"
                  >
                    ${csrfField(csrf)}
                    <p>
                      ${hits.length} record(s) of your shared dataset
                      <strong>${request.input.datasetId}</strong> match this request (cited by a hit, or with
                      an identifier it asks about). You can answer with them as they were last uploaded, or
                      upload a file below. Either way you see the preview before anything leaves.
                    </p>
                    <div><button type="submit">Answer with the records hit</button></div>
                  </form>`
                : ''
            }
            ${uploadForm(page.upload, `/portal/requests/${request.id}/answer`)}
            <h2>No information</h2>
            ${noInformationForm(csrf, request)}
            <h2>Decline</h2>
            ${declineForm(csrf, request)}`
        : ''
    }
    ${whomToCall(request.requesterPartner, page.contacts.requester)}
    <p><a href="/portal/inbox">Back to the inbox</a></p>`;
}

/** A question to all providers: its text, marked as such (context from the analyst, not data). */
function questionFacts(request: StoredRequest) {
  if (!request.question) return '';
  return html`<dt>Question to all providers</dt>
    <dd class="question-text">${request.question.text}</dd>`;
}

/** The answer of a provider that holds nothing on what is asked: the analyst reads "no information". */
function noInformationForm(csrf: string, request: StoredRequest) {
  return html`<form method="post" action="/portal/requests/${request.id}/no-information" class="stack">
    ${csrfField(csrf)}
    <p class="hint">We hold nothing on this: the analyst reads “no information”, not a refusal.</p>
    <div><button type="submit" class="secondary">Answer: no information</button></div>
  </form>`;
}

/** The mark of a request past the agreement's response time. */
function overdueMark(o: Overdue) {
  return o.overdue
    ? html`<p class="overdue-mark error" role="status">Overdue since ${o.overdueSince}</p>`
    : '';
}

export interface InboxRow {
  request: StoredRequest;
  matching: readonly DatasetRecord[];
  legal: string;
  overdue: Overdue;
}

export function inboxView(rows: readonly InboxRow[]) {
  const late = rows.filter((r) => r.overdue.overdue).length;
  return html`${late ? html`<p class="overdue-count error" role="status">${late} request${late === 1 ? '' : 's'} overdue: past the agreement’s response time.</p>` : ''}
  ${dataTable(
    rows,
    [
      {
        header: 'Case',
        cell: ({ request: r }) =>
          html`<a href="/portal/requests/${r.id}">${r.input.caseRef}</a>${
              r.question
                ? html`<br /><span class="tag">Question to all providers</span>
                    <span class="question-text">${r.question.text}</span>`
                : ''
            }`,
      },
      { header: 'From', cell: ({ request: r }) => r.requesterPartner },
      { header: 'Purpose', cell: ({ request: r }) => r.input.purpose },
      { header: 'Legal basis', cell: ({ legal }) => legal },
      { header: 'Fields asked', cell: ({ request: r }) => r.input.fields.join(', ') },
      {
        header: 'Our matching records',
        cell: ({ matching }) => [...new Set(matching.map((x) => x.sourceRef))].join(', ') || '—',
      },
      {
        header: 'State',
        cell: ({ request: r, overdue }) =>
          html`${stateLabel(r.state)}${overdue.overdue ? html` <strong class="overdue-mark">Overdue since ${overdue.overdueSince}</strong>` : ''}`,
      },
    ],
    { empty: html`<p>No open requests.</p>` },
  )}`;
}

/** A shared dataset with its status, as the service lists them. */
export type DatasetSummary = Awaited<ReturnType<DatasetService['list']>>[number];

export function datasetsView(items: readonly DatasetSummary[], upload: UploadChoices) {
  return html`${items.map(
    (d) =>
      html`<section aria-labelledby="ds-${d.datasetId}">
        <h2 id="ds-${d.datasetId}">${d.datasetId}</h2>
        <p>${d.records} record(s) indexed for hit/no-hit.</p>
        ${
          d.lastUpload
            ? html`<dl class="facts">
                  <dt>Last upload</dt>
                  <dd>
                    ${d.lastUpload.uploadedAt} by ${d.lastUpload.uploadedBy} (${d.lastUpload.adapterId},
                    ${d.lastUpload.mode})
                  </dd>
                  <dt>Rows read</dt>
                  <dd>${d.lastUpload.read}</dd>
                  <dt>Mapped</dt>
                  <dd>${d.lastUpload.mapped}</dd>
                  <dt>Quarantined</dt>
                  <dd>${d.lastUpload.quarantined}</dd>
                </dl>
                ${quarantineTable(d.lastUpload.quarantine ?? [])}`
            : html`<p class="hint">Nothing uploaded yet.</p>`
        }
        <h3>Upload</h3>
        ${uploadForm(
          upload,
          `/portal/datasets/${d.datasetId}`,
          html`<div>
            <label for="mode-${d.datasetId}">Mode</label
            ><select id="mode-${d.datasetId}" name="mode">
              <option value="replace">replace the dataset</option>
              <option value="upsert">add or update records</option>
            </select>
          </div>`,
        )}
      </section>`,
  )}${items.length ? '' : html`<p>Your organisation shares no dataset.</p>`}`;
}

function samplesHint(samples: UploadChoices['samples']) {
  const links = samples.map(
    ({ adapterId: a, file: f }) => html`<a href="/portal/samples/${a}/${f}" download>${a}/${f}</a> `,
  );
  return links.length
    ? html`<p class="hint">Demo mode: example files in your adapter's format: ${links}</p>`
    : '';
}

function quarantineTable(entries: QuarantineEntry[]) {
  if (!entries.length) return html`<p class="hint">Quarantined rows: none.</p>`;
  return dataTable(
    entries,
    [
      { header: 'Row', cell: (q) => q.row },
      { header: 'Line', cell: (q) => q.line ?? '—' },
      { header: 'Field', cell: (q) => q.field ?? '—' },
      { header: 'Code', cell: (q) => q.code },
      { header: 'Reason', cell: (q) => q.message },
    ],
    { caption: `Quarantined rows (${entries.length}): not mapped, will not leave` },
  );
}

function uploadForm(choices: UploadChoices, action: string, extra = html``) {
  const own = choices.adapters;
  return html`<form class="stack" method="post" action="${action}" enctype="multipart/form-data">
      ${csrfField(choices.csrf)}
      <div>
        <label for="adapter">Adapter (your organisation's format)</label
        ><select id="adapter" name="adapter" required>
          ${own.map((a) => html`<option value="${a.id}">${a.id} (${a.formats.join(', ')})</option>`)}
        </select>
      </div>
      ${extra}
      <div>
        <label for="file">File (.csv, .json or .ndjson)</label
        ><input type="file" id="file" name="file" accept=".csv,.json,.ndjson,.jsonl" required />
      </div>
      <div><button type="submit">Upload and preview</button></div>
    </form>
    ${samplesHint(choices.samples)}`;
}

function declineForm(csrf: string, request: StoredRequest) {
  return html`<form class="stack" method="post" action="/portal/requests/${request.id}/decline">
    ${csrfField(csrf)}
    <div>
      <label for="decline-reason">Reason for declining</label
      ><textarea id="decline-reason" name="reason" rows="2" minlength="3" required></textarea>
    </div>
    <div><button type="submit" class="danger">Decline</button></div>
  </form>`;
}

/**
 * The handling a responder may set on release: the agreement's TLP or a stricter one, and conditions
 * added to the agreement's (which all stay). Unchanged, the agreement's handling applies.
 */
function handlingChoice(request: StoredRequest) {
  // After a first approval (four eyes) its handling is the floor: the second responder keeps or tightens it.
  const agreed = handlingOf(request);
  const levels = TLP_LEVELS.slice(TLP_LEVELS.indexOf(agreed.tlp));
  return html`<fieldset class="stack">
    <legend>Handling (the agreement's, or stricter)</legend>
    <label for="approve-tlp">TLP</label>
    <select id="approve-tlp" name="tlp">
      ${levels.map((tlp) => html`<option value="${tlp}" ${tlp === agreed.tlp ? 'selected' : ''}>TLP:${tlp}</option>`)}
    </select>
    <label for="approve-conditions">Further conditions, one per line (the agreement's stay)</label>
    <textarea id="approve-conditions" name="conditions" rows="2"></textarea>
    ${agreed.conditions.map((c) => html`<input type="hidden" name="agreedCondition" value="${c}" />`)}
  </fieldset>`;
}

/**
 * Under four eyes, the one who prepared the answer (or approved a table first) is told that another
 * responder releases it; the second responder sees who came first, with their reason and handling.
 */
function fourEyesNotice(request: StoredRequest, fourEyes: FourEyes) {
  const preview = request.preview;
  if (!preview || !fourEyes.apply) return '';
  const by = preview.preparedBy;
  const mine = fourEyes.preparedByCaller;
  if (preview.table && !by) {
    return html`<p class="ok" role="note">
      Four eyes: your approval is the first of two; another responder of your organisation releases it.
    </p>`;
  }
  if (preview.table && mine) {
    return html`<p class="error" role="note">
      Four eyes: you approved this table first, so another responder of your organisation releases it.
    </p>`;
  }
  if (preview.table) {
    const reason = preview.preparedReason ? html`reason: ${preview.preparedReason}; ` : '';
    return html`<p class="ok" role="note">
      Four eyes: first approved by ${by?.userId} (${reason}handling TLP:${handlingOf(request).tlp}); you may
      release it as the second responder.
    </p>`;
  }
  return html`<p class="${mine ? 'error' : 'ok'}" role="note">
    Four eyes:
    ${mine ? 'you prepared this answer, so another responder of your organisation must approve it.' : `prepared by ${by?.userId ?? 'nobody named'}; you may approve it as the second responder.`}
  </p>`;
}
