/**
 * The agreement pages' markup (handlers in partnership.ts): the agreements of the user's partner with
 * their standing, and one agreement's terms, confidentiality commitment, digest and acceptances, with
 * the forms a party's legal person accepts or withdraws with.
 */
import type { AgreementStatus, NotInForce } from '../../partnership/acceptance';
import type { Agreement } from '../../policy/types';
import { dataTable } from '../data-table';
import { html, type Html } from '../html';
import { csrfField } from '../layout';

export const agreementPath = (id: string) => `/portal/partnership/agreements/${id}`;

const REASON_TEXT: Record<NotInForce['code'], (r: NotInForce) => string> = {
  'awaiting-parties': (r) => `awaiting ${r.code === 'awaiting-parties' ? r.parties.join(', ') : ''}`,
  'revision-overdue': (r) =>
    `past its revision date${r.code === 'revision-overdue' ? ` (${r.reviseBy})` : ''}`,
  'not-yet-valid': (r) => `not valid before ${r.code === 'not-yet-valid' ? r.from : ''}`,
  expired: (r) => `expired ${r.code === 'expired' ? r.until : ''}`,
};

/** "in force", or why not. */
export function standingOf(status: AgreementStatus): string {
  return status.inForce ? 'in force' : status.notInForce.map((r) => REASON_TEXT[r.code](r)).join('; ');
}

export function agreementsListView(items: readonly AgreementStatus[]) {
  return dataTable(
    items,
    [
      {
        header: 'Agreement',
        cell: (s) => html`<a href="${agreementPath(s.agreementId)}">${s.title}</a> (${s.agreementId})`,
        rowHeader: true,
      },
      { header: 'Version', cell: (s) => s.version },
      { header: 'Standing', cell: standingOf, className: 'status' },
      { header: 'Revise by', cell: (s) => s.reviseBy },
    ],
    { empty: 'Your partner is a party to no agreement.', rowId: (s) => `agreement-${s.agreementId}` },
  );
}

/** What the agreement page shows to whom: the forms only to a legal person (or admin) of a party. */
export interface AgreementPage {
  csrf: string;
  agreement: Agreement;
  status: AgreementStatus;
  /** The viewer's partner, when they may accept or withdraw for it. */
  actingFor?: { partnerId: string; name: string; acceptedCurrent: boolean; accepted: boolean };
}

export function agreementView(page: AgreementPage) {
  const { agreement: a, status } = page;
  return html`<p>Standing: <strong class="status">${standingOf(status)}</strong></p>
    ${termsOf(a)}
    <section aria-labelledby="conf-h">
      <h2 id="conf-h">Confidentiality commitment</h2>
      ${status.confidentiality ? html`<blockquote>${status.confidentiality.text}</blockquote>` : html`<p>This agreement has none.</p>`}
    </section>
    <p>
      Version ${status.version}, digest <code class="digest">${status.digest}</code>: an acceptance names this
      digest, so it accepts exactly this text.
    </p>
    ${dataTable(
      status.parties,
      [
        {
          header: 'Party',
          cell: (p) => `${p.name} (${p.partnerId}), ${p.sides.join(' and ')}`,
          rowHeader: true,
        },
        {
          header: 'Acceptance in effect',
          cell: (p) =>
            p.acceptance
              ? `version ${p.acceptance.version}${p.acceptance.current ? '' : ' (not this version)'}, by ${p.acceptance.by.userId} (${p.acceptance.role}), ${p.acceptance.at}`
              : 'none',
          className: 'status',
        },
      ],
      { caption: 'Who accepted what', rowId: (p) => `party-${p.partnerId}` },
    )}
    ${page.actingFor ? actions(page, page.actingFor) : ''}
    ${dataTable(
      status.history,
      [
        { header: 'When', cell: (h) => h.recordedAt },
        { header: 'Party', cell: (h) => h.partnerId },
        { header: 'Action', cell: (h) => h.action },
        { header: 'Version', cell: (h) => h.version },
        { header: 'By', cell: (h) => `${h.by.userId} (${h.role})` },
        { header: 'Reason', cell: (h) => h.reason ?? '' },
      ],
      { caption: 'History, newest first', empty: 'No acceptance yet.' },
    )}`;
}

function termsOf(a: Agreement): Html {
  const { output } = a.safes;
  return html`<section aria-labelledby="terms-h">
    <h2 id="terms-h">Terms</h2>
    <dl class="facts">
      <dt>Requesters</dt>
      <dd>${a.parties.requesters.join(', ')}</dd>
      <dt>Providers</dt>
      <dd>${a.parties.providers.join(', ')}</dd>
      <dt>Purposes</dt>
      <dd>${a.purposes.join(', ')}</dd>
      <dt>Legal basis</dt>
      <dd>${a.legalBasis}</dd>
      <dt>Valid</dt>
      <dd>${a.validity.from} to ${a.validity.until}</dd>
      <dt>Revise by</dt>
      <dd>${a.reviseBy}</dd>
      <dt>Retention</dt>
      <dd>${output.retentionDays} days</dd>
      <dt>Handling</dt>
      <dd>TLP:${output.handling.tlp}; ${output.handling.conditions.join(' ')}</dd>
    </dl>
    ${dataTable(
      a.datasets,
      [
        { header: 'Dataset', cell: (d) => d.id, rowHeader: true },
        { header: 'Provider', cell: (d) => d.provider },
        { header: 'Fields', cell: (d) => d.fields.join(', ') },
        { header: 'Pseudonymised', cell: (d) => d.pseudonymise.join(', ') },
      ],
      { caption: 'Datasets and fields' },
    )}
  </section>`;
}

function actions(page: AgreementPage, party: NonNullable<AgreementPage['actingFor']>): Html {
  const { status } = page;
  return html`<section aria-labelledby="accept-h">
    <h2 id="accept-h">For ${party.name}</h2>
    ${
      party.acceptedCurrent
        ? html`<p>${party.name} has accepted this version.</p>`
        : html`<form class="stack" method="post" action="${agreementPath(status.agreementId)}/accept">
            ${csrfField(page.csrf)}
            <input type="hidden" name="version" value="${status.version}" />
            <input type="hidden" name="digest" value="${status.digest}" />
            <div class="check">
              <input type="checkbox" id="accept" name="accept" value="yes" required /><label for="accept"
                >On behalf of ${party.name} I accept this
                version${status.confidentiality ? ', including its confidentiality commitment' : ''}</label
              >
            </div>
            <div><button type="submit">Accept version ${status.version}</button></div>
          </form>`
    }
    ${
      party.accepted
        ? html`<form class="stack" method="post" action="${agreementPath(status.agreementId)}/withdraw">
            ${csrfField(page.csrf)}
            <div>
              <label for="reason">Reason for withdrawing ${party.name}'s acceptance</label
              ><input type="text" id="reason" name="reason" required minlength="3" />
            </div>
            <p class="hint">
              Until ${party.name} accepts again, no exchange takes place under this agreement.
            </p>
            <div><button type="submit" class="danger">Withdraw the acceptance</button></div>
          </form>`
        : ''
    }
  </section>`;
}
