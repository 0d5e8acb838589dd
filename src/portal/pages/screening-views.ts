/**
 * The screening pages' markup (handlers in screening.ts): a partner's history with the admin's form to
 * record a new screening (each problem shown at its field), and the DPO's histories in their scope.
 */
import type { PartnerStanding, ScreeningHistory } from '../../partnership/screening';
import { SCREENING_OUTCOMES } from '../../partnership/types';
import { dataTable } from '../data-table';
import { html, type Html } from '../html';
import { csrfField } from '../layout';

/** What the admin typed, as typed: shown again with the problems found. */
export interface ScreeningForm {
  reviewedOn: string;
  outcome: string;
  conditions: string;
  riskNotes: string;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
  nextReviewOn: string;
}

/** Problems by the body's JSON pointer (the API's), e.g. `/contact/email`. */
export type FieldErrors = ReadonlyMap<string, string[]>;

/** Which form field shows the problems of which pointer. */
const FIELD_OF: Record<string, keyof ScreeningForm> = {
  '/reviewedOn': 'reviewedOn',
  '/outcome': 'outcome',
  '/conditions': 'conditions',
  '/riskNotes': 'riskNotes',
  '/contact/name': 'contactName',
  '/contact/email': 'contactEmail',
  '/contact/phone': 'contactPhone',
  '/nextReviewOn': 'nextReviewOn',
};

const STATUS_TEXT: Record<PartnerStanding['status'], string> = {
  cleared: 'cleared',
  'cleared-with-conditions': 'cleared with conditions',
  refused: 'refused',
  lapsed: 'lapsed (review overdue)',
  unscreened: 'unscreened',
};

/** A partner's standing in a few words, with its next review date. */
export function standingText(s: PartnerStanding): string {
  return s.nextReviewOn && s.status !== 'refused'
    ? `${STATUS_TEXT[s.status]}, next review ${s.nextReviewOn}`
    : STATUS_TEXT[s.status];
}

export const screeningPath = (partnerId: string) => `/portal/admin/partners/${partnerId}/screening`;

export function screeningPageView(page: {
  csrf: string;
  history: ScreeningHistory;
  form: ScreeningForm;
  errors: FieldErrors;
}) {
  const { standing } = page.history;
  return html`<p>
      Standing today: <strong class="status">${standingText(standing)}</strong>. A partner not cleared, or
      past its next review, takes part in no exchange. <a href="/portal/admin/partners">All partners</a>
    </p>
    ${screeningForm(standing.partnerId, page.csrf, page.form, page.errors)} ${historyTable(page.history)}`;
}

/** The DPO's page: each partner's standing in scope, then each one's history. */
export function screeningsView(histories: readonly ScreeningHistory[]) {
  return html`${dataTable(
    histories.map((h) => h.standing),
    [
      { header: 'Partner', cell: (s) => `${s.name} (${s.partnerId})`, rowHeader: true },
      { header: 'Standing', cell: standingText, className: 'status' },
      { header: 'Conditions', cell: (s) => s.conditions.join('; ') },
    ],
    { caption: 'Standing today', rowId: (s) => `standing-${s.partnerId}` },
  )}
  ${histories.map(
    (h) =>
      html`<section aria-labelledby="h-${h.standing.partnerId}">
        <h2 id="h-${h.standing.partnerId}">${h.standing.name}</h2>
        ${historyTable(h)}
      </section>`,
  )}`;
}

function historyTable(history: ScreeningHistory): Html {
  return dataTable(
    history.items,
    [
      { header: 'Reviewed on', cell: (s) => s.record.reviewedOn },
      { header: 'Outcome', cell: (s) => s.record.outcome, className: 'status' },
      { header: 'Conditions', cell: (s) => s.record.conditions.join('; ') },
      { header: 'Risk notes', cell: (s) => s.record.riskNotes },
      {
        header: 'Contact',
        cell: (s) =>
          [s.record.contact.name, s.record.contact.email, s.record.contact.phone].filter(Boolean).join(', '),
      },
      { header: 'Next review', cell: (s) => s.record.nextReviewOn },
      { header: 'Reviewer', cell: (s) => `${s.record.reviewer.userId} (${s.record.reviewer.partnerId})` },
      { header: 'Recorded', cell: (s) => s.recordedAt },
    ],
    { caption: 'Screenings, newest first', empty: 'Never screened.', rowId: (s) => `screening-${s.seq}` },
  );
}

function screeningForm(partnerId: string, csrf: string, form: ScreeningForm, errors: FieldErrors): Html {
  const shown = new Set(Object.keys(FIELD_OF));
  const general = [...errors].filter(([pointer]) => !shown.has(pointer)).flatMap(([, d]) => d);
  const problems = (name: keyof ScreeningForm) =>
    Object.entries(FIELD_OF)
      .filter(([, field]) => field === name)
      .flatMap(([pointer]) => errors.get(pointer) ?? []);
  /** A field's label, its input and, when it has problems, those, tied to it for screen readers. */
  const field = (name: keyof ScreeningForm, label: string, input: (attrs: Html) => Html) => {
    const found = problems(name);
    const attrs = found.length
      ? html` id="${name}" name="${name}" aria-invalid="true" aria-describedby="${name}-error"`
      : html` id="${name}" name="${name}"`;
    return html`<div>
      <label for="${name}">${label}</label>${input(attrs)}
      ${found.length ? html`<p class="error" id="${name}-error">${found.join('; ')}</p>` : ''}
    </div>`;
  };
  return html`<section aria-labelledby="record-h">
    <h2 id="record-h">Record a screening</h2>
    ${
      errors.size
        ? html`<p class="error" role="alert">
            The screening was not recorded: see the fields marked
            below.${general.length ? ` ${general.join('; ')}` : ''}
          </p>`
        : ''
    }
    <form class="stack" method="post" action="${screeningPath(partnerId)}">
      ${csrfField(csrf)}
      ${field('reviewedOn', 'Reviewed on', (a) => html`<input type="date" ${a} value="${form.reviewedOn}" required />`)}
      ${field(
        'outcome',
        'Outcome',
        (a) =>
          html`<select${a} required>
            ${SCREENING_OUTCOMES.map(
              (o) => html`<option value="${o}" ${o === form.outcome ? html` selected` : ''}>${o}</option>`,
            )}
          </select>`,
      )}
      ${field(
        'conditions',
        'Conditions (one per line; required when cleared with conditions)',
        (a) => html`<textarea${a} rows="3">${form.conditions}</textarea>`,
      )}
      ${field('riskNotes', 'Risk notes', (a) => html`<textarea${a} rows="4">${form.riskNotes}</textarea>`)}
      ${field('contactName', 'Point of contact: name', (a) => html`<input type="text" ${a} value="${form.contactName}" required />`)}
      ${field('contactEmail', 'Point of contact: email', (a) => html`<input type="email" ${a} value="${form.contactEmail}" required />`)}
      ${field('contactPhone', 'Point of contact: phone (optional)', (a) => html`<input type="tel" ${a} value="${form.contactPhone}" />`)}
      ${field('nextReviewOn', 'Next review on (at most three years on)', (a) => html`<input type="date" ${a} value="${form.nextReviewOn}" required />`)}
      <div><button type="submit">Record the screening</button></div>
    </form>
  </section>`;
}
