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

/** A handling code as words: TLP and the onward-sharing conditions. */
function handling(value: unknown): string {
  const h = (value ?? {}) as { tlp?: unknown; conditions?: unknown };
  const conditions = Array.isArray(h.conditions) ? h.conditions.map(String) : [];
  if (typeof h.tlp !== 'string') return cell(value);
  return [`TLP:${h.tlp}`, ...conditions].join(' · ');
}

/** One release as a block of facts: too many for a table's row on paper. */
function releaseView(r: Release): Html {
  const facts: [string, Html | string][] = [
    ['Disclosed', r.disclosedAt],
    ['To', r.recipients.map(person).join(', ')],
    ['By', `${r.providerId ?? 'unknown'}${r.datasetId ? `, dataset ${r.datasetId}` : ''}`],
    ['Purpose', `${r.purpose ?? ''}${r.caseRef ? ` (case ${r.caseRef})` : ''}`],
    ['Agreement', `${r.agreementId ?? ''}, version ${r.agreementVersion ?? 'unknown'}`],
    ['Legal basis', legalBasis(r)],
    ['Policy digest', r.policyDigest ? html`<code>${r.policyDigest}</code>` : ''],
    ['Handling', handling(r.handling)],
    ['Kept until', r.expiresAt ?? ''],
    ['Purged', r.purgedAt ?? 'not yet'],
    ['Matched', MATCHED[r.matchedBy]],
    ['Log entries', entries(r)],
  ];
  return html`<section class="sar-release" id="r-${r.requestId}">
    <h3>Request <code>${r.requestId}</code></h3>
    <dl class="sar-facts">
      ${facts.map(
        ([term, value]) =>
          html`<dt>${term}</dt>
            <dd>${value}</dd>`,
      )}
    </dl>
  </section>`;
}

const releasesView = (rows: Release[]): Html =>
  rows.length ? html`${rows.map(releaseView)}` : html`<p>None.</p>`;

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
    ${releasesView(r.disclosures)}
    <h2>Tables the subject’s records counted in</h2>
    ${releasesView(r.tables)}
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
