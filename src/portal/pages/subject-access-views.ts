/**
 * The subject access pages' markup: the form, and the report as a printable page (portal.css's print
 * rules leave the navigation and the form out). Views only: the handler (subject-access.ts) gathers.
 */
import type { Release, Search } from '../../subject-access/report';
import type { MatchedBy } from '../../subject-access/query';
import type { SubjectAccessReport } from '../../subject-access/service';
import { dataTable } from '../data-table';
import { html, type Html } from '../html';
import { csrfField } from '../layout';
import { cell } from '../views';
import { IDENTIFIER_TYPES } from './request-views';

export function subjectAccessFormView(csrf: string): Html {
  return html`<p>
      For one data subject: every disclosure and table that included their records, to whom, when, why, under
      which legal basis and agreement version, and until when it was kept; and every lookup or request that
      named their identifier. Found through the log's keyed hashes, in your partner's entries (all entries for
      a supervisor's DPO). The report is itself logged, without the value you enter.
    </p>
    <form method="post" action="/portal/log/subject-access" class="stack">
      ${csrfField(csrf)}
      <fieldset>
        <legend>By identifier</legend>
        <div>
          <label for="sar-type">Identifier type</label>
          <select id="sar-type" name="identifierType">
            ${IDENTIFIER_TYPES.map((t) => html`<option value="${t}">${t}</option>`)}
          </select>
        </div>
        <div>
          <label for="sar-value">Identifier</label
          ><input type="text" id="sar-value" name="identifierValue" maxlength="200" autocomplete="off" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Or by name and date of birth</legend>
        <div>
          <label for="sar-name">Name</label
          ><input type="text" id="sar-name" name="name" maxlength="200" autocomplete="off" />
        </div>
        <div>
          <label for="sar-dob">Date of birth</label><input type="date" id="sar-dob" name="dateOfBirth" />
        </div>
      </fieldset>
      <div><button type="submit">Produce the report</button></div>
    </form>`;
}

const MATCHED: Record<MatchedBy, string> = {
  identifier: 'by the identifier',
  'name-and-birth': 'by name and date of birth',
  'owner-in-dataset': "through the owner the provider's dataset holds for the identifier today",
  'name-only': 'by name only: possibly a namesake',
};

const person = (p: { partnerId: string; userId: string } | null) =>
  p ? `${p.userId} (${p.partnerId})` : 'the gateway';

function entries(r: Release): string {
  const seqs = [
    r.seqs.decision && `#${r.seqs.decision} decision`,
    `#${r.seqs.disclosure} disclosure`,
    ...r.seqs.subjects.map((s) => `#${s} subjects`),
    r.seqs.purge && `#${r.seqs.purge} purge`,
  ];
  return seqs.filter(Boolean).join(', ');
}

function legalBasis(r: Release): Html | string {
  if (!r.legalBasis) return html`<em>The agreement is no longer in the policy bundle.</em>`;
  const same = r.legalBasis.version === r.agreementVersion;
  return html`${r.legalBasis.text}${same ? '' : html` <span class="hint">(as in version ${r.legalBasis.version}, today's)</span>`}`;
}

function releasesTable(rows: Release[], caption: string, empty: string): Html {
  return dataTable(
    rows,
    [
      { header: 'Request', cell: (r) => html`<code>${r.requestId}</code>`, rowHeader: true },
      { header: 'Disclosed', cell: (r) => r.disclosedAt },
      { header: 'To', cell: (r) => r.recipients.map(person).join(', ') },
      {
        header: 'By (provider, dataset)',
        cell: (r) => `${r.providerId ?? '?'}${r.datasetId ? `, ${r.datasetId}` : ''}`,
      },
      { header: 'Purpose (case)', cell: (r) => `${r.purpose ?? ''}${r.caseRef ? ` (${r.caseRef})` : ''}` },
      { header: 'Agreement, version', cell: (r) => `${r.agreementId ?? ''}, v${r.agreementVersion ?? '?'}` },
      { header: 'Legal basis', cell: legalBasis },
      {
        header: 'Policy digest',
        cell: (r) => (r.policyDigest ? html`<code>${r.policyDigest.slice(0, 16)}…</code>` : ''),
      },
      { header: 'Handling', cell: (r) => cell(r.handling) },
      { header: 'Kept until', cell: (r) => r.expiresAt ?? '' },
      { header: 'Purged', cell: (r) => r.purgedAt ?? 'not yet' },
      { header: 'Matched', cell: (r) => MATCHED[r.matchedBy] },
      { header: 'Log entries', cell: entries },
    ],
    { caption, className: 'sar-table', empty },
  );
}

function searchesTable(rows: Search[]): Html {
  return dataTable(
    rows,
    [
      { header: '#', cell: (s) => s.seq, rowHeader: true },
      { header: 'Time', cell: (s) => s.at },
      { header: 'What', cell: (s) => (s.kind === 'lookup' ? 'hit/no-hit lookup' : 'detail request') },
      { header: 'By', cell: (s) => person(s.by) },
      { header: 'Agreement', cell: (s) => s.agreementId ?? '' },
      { header: 'Outcome', cell: (s) => s.outcome ?? '' },
      { header: 'Hit', cell: (s) => (s.hit === undefined ? '' : s.hit ? 'hit' : 'no hit') },
    ],
    { caption: 'Lookups and requests that named the identifier', className: 'sar-table', empty: 'None.' },
  );
}

export function subjectAccessReportView(r: SubjectAccessReport): Html {
  return html`<article class="sar">
    <dl class="sar-facts">
      <dt>Data subject</dt>
      <dd class="fill-in">
        ${r.query.kind === 'identifier' ? 'identifier' : 'person (name and date of birth)'}:
        ____________________
      </dd>
      <dt>Searched for (keyed hash)</dt>
      <dd><code>${r.query.hash}</code></dd>
      <dt>Produced</dt>
      <dd>${r.producedAt} by ${person(r.producedBy)}, log entry #${r.seq}</dd>
      <dt>Entries searched</dt>
      <dd>${r.scope === 'all' ? 'every partner’s' : `those naming ${r.scope}`}</dd>
    </dl>
    ${r.truncated ? html`<p class="error">More entries matched than one report reads: some are left out.</p>` : ''}
    <p class="hint no-print">Print this page with your browser (Ctrl+P): the navigation is left out.</p>
    <h2>Disclosures of records</h2>
    ${releasesTable(r.disclosures, 'Records disclosed that included the subject’s', 'None.')}
    <h2>Tables</h2>
    ${releasesTable(r.tables, 'Released tables the subject’s records counted in', 'None.')}
    <h2>Lookups and requests</h2>
    ${searchesTable(r.searches)}
    <p class="hint">
      Each log entry can be proven with its inclusion proof (GET /api/v1/audit/proof/&lt;entry&gt;) against a
      signed checkpoint. “Kept until” is the disclosure’s expiry; after it the records are purged and only
      their digests remain.
    </p>
    <p class="no-print"><a href="/portal/log/subject-access">Another report</a></p>
  </article>`;
}
