/**
 * The markup of questions to the partnership: the analyst's form to ask every provider of an agreement,
 * and the question's page with each provider's answer. Views only: questions.ts gathers the data.
 */
import type { Agreement } from '../../policy/types';
import type { StoredRequest } from '../../requests/types';
import { answerOf } from '../../requests/views';
import { QUESTION_TEXT_MAX } from '../../questions/text';
import { dataTable } from '../data-table';
import { html } from '../html';
import { csrfField } from '../layout';
import { stateLabel } from '../views';
import { agreementPicker, agreementSummary, identifiersField, purposeAndCase } from './analyst-views';

export interface NewQuestionStep {
  agreements: readonly Agreement[];
  agreement?: Agreement;
  caseHint?: string;
}

export function newQuestionView(step: NewQuestionStep, csrf: string) {
  const { agreements, agreement } = step;
  if (!agreement) {
    if (!agreements.length)
      return html`<p class="error">Your organisation is not a requester in any agreement.</p>`;
    return agreementPicker('/portal/questions/new', agreements);
  }
  return html`${agreementSummary(agreement, '/portal/questions/new')}
    <p>
      The question goes to every provider of the agreement:
      <strong>${agreement.parties.providers.join(', ')}</strong>. Each provider’s request is decided by the
      Five Safes; each answers “no information” or through its usual review. Personal data is not asked for:
      make a detail request to the provider that knows.
    </p>
    <form class="stack" method="post" action="/portal/questions">
      ${csrfField(csrf)}
      <input type="hidden" name="agreementId" value="${agreement.id}" />
      ${identifiersField({ rows: 3, required: true })}
      <div>
        <label for="text">The question</label>
        <textarea
          id="text"
          name="text"
          rows="3"
          required
          maxlength="${String(QUESTION_TEXT_MAX)}"
          aria-describedby="text-hint"
        ></textarea>
        <p class="hint" id="text-hint">
          Context for the providers, not data: no names, e-mail addresses, phone numbers or identifiers (put
          those in the list above). At most ${String(QUESTION_TEXT_MAX)} characters.
        </p>
      </div>
      ${purposeAndCase(agreement.purposes, step.caseHint ?? '')}
      <div><button type="submit">Ask all providers</button></div>
    </form>`;
}

/** A question's page: its text and, per provider, the state of its request and the way to its answer. */
export function questionPageView(question: { id: string; text: string; requests: readonly StoredRequest[] }) {
  const first = question.requests[0];
  return html`<dl class="facts">
      <dt>Question</dt>
      <dd class="question-text">${question.text}</dd>
      <dt>Agreement</dt>
      <dd>${first.input.agreementId}</dd>
      <dt>Case reference</dt>
      <dd>${first.input.caseRef}</dd>
      <dt>Asked</dt>
      <dd>${first.createdAt}</dd>
    </dl>
    ${dataTable(
      question.requests,
      [
        { header: 'Provider', cell: (r) => r.input.providerId },
        { header: 'Dataset', cell: (r) => r.input.datasetId },
        { header: 'Answer', cell: (r) => stateLabel(answerOf(r)) },
        { header: 'Open until', cell: (r) => r.expiresAt ?? '—' },
        {
          header: 'Request',
          cell: (r) =>
            html`<a href="/portal/requests/${r.id}">Request</a>${
                r.state === 'disclosed'
                  ? html` · <a href="/portal/requests/${r.id}/disclosure">Read the disclosure</a>`
                  : ''
              }`,
        },
      ],
      { caption: 'Each provider’s answer' },
    )}
    <p><a href="/portal/questions/new">Ask another question</a></p>`;
}
