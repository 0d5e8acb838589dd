/**
 * The partnership's pages' markup (partnership.ts gathers): the agreement's report, printable, with
 * charts beside their tables; the reports a person may read; what a disclosure led to; the home page's
 * partnership lines.
 */
import type { Recorded } from '../../partnership/registry';
import type { Report } from '../../partnership/report';
import type { Outcome } from '../../partnership/types';
import { OUTCOME_KINDS, type Agreement } from '../../policy/types';
import { stackedBarChart } from '../charts';
import { dataTable } from '../data-table';
import { html, type Html } from '../html';
import { csrfField } from '../layout';

/** The home page's lines: requests overdue for the contact point, the reports the person may read. */
export interface PartnershipHome {
  overdue: number;
  reports: readonly Pick<Agreement, 'id' | 'title'>[];
}

export function partnershipHomeView(home: PartnershipHome): Html {
  if (!home.overdue && !home.reports.length) return html``;
  return html`<ul class="partnership-home">
    ${
      home.overdue
        ? html`<li class="overdue">
            <a href="/portal/inbox">${home.overdue} request${home.overdue === 1 ? '' : 's'} overdue</a>
          </li>`
        : ''
    }
    ${home.reports.length ? html`<li><a href="/portal/partnership/reports">Reports: monitoring and evaluation of ${home.reports.length} agreement(s)</a></li>` : ''}
  </ul>`;
}

export function reportListView(agreements: readonly Pick<Agreement, 'id' | 'title'>[]): Html {
  return dataTable(
    agreements,
    [
      {
        header: 'Agreement',
        rowHeader: true,
        cell: (a) => html`<a href="/portal/partnership/reports/${encodeURIComponent(a.id)}">${a.title}</a>`,
      },
      { header: 'Id', cell: (a) => a.id },
    ],
    { empty: 'No agreement’s report is yours to read.' },
  );
}

/** What a disclosure or hit led to: the outcomes so far, and (for its analyst) the form to add one. */
export function outcomesView(
  action: string,
  outcomes: readonly Recorded<Outcome>[],
  csrf: string | undefined,
): Html {
  const list = dataTable(
    outcomes,
    [
      { header: 'Recorded', cell: (o) => o.recordedAt },
      { header: 'Outcome', cell: (o) => o.record.kind },
      { header: 'Note', cell: (o) => o.record.note || '—' },
      { header: 'By', cell: (o) => `${o.record.by.userId} (${o.record.by.partnerId})` },
    ],
    { empty: html`<p class="hint">No outcome recorded yet.</p>` },
  );
  const form = csrf
    ? html`<form class="stack outcome-form" method="post" action="${action}">
        ${csrfField(csrf)}
        <div>
          <label for="outcome-kind">Outcome</label>
          <select id="outcome-kind" name="kind" required>
            ${OUTCOME_KINDS.map((k) => html`<option value="${k}">${k}</option>`)}
          </select>
        </div>
        <div>
          <label for="outcome-note"
            >Note (at most 500 characters; kept by the gateway, the log keeps only its digest)</label
          >
          <textarea id="outcome-note" name="note" rows="2" maxlength="500"></textarea>
        </div>
        <div><button type="submit">Record the outcome</button></div>
      </form>`
    : '';
  return html`<section class="outcomes" aria-labelledby="outcomes-h">
    <h2 id="outcomes-h">What did this lead to?</h2>
    ${list} ${form}
  </section>`;
}

const hours = (h: number | null) => (h === null ? '—' : `${h} h`);

/** The report page: period picker, the print note, then one section per part (a page each in print). */
export function reportView(report: Report): Html {
  const { activity, responseTimes, outcomes, screening, changes, inForce } = report;
  const months = activity.byMonth;
  const safes = Object.entries(activity.deniedBySafe);
  return html`<form
      class="period-picker no-print"
      method="get"
      action="/portal/partnership/reports/${encodeURIComponent(report.agreement.id)}"
    >
      <label for="period">Period</label>
      <input
        id="period"
        name="period"
        value="${report.period.label}"
        pattern="2[0-9]{3}(-(Q[1-4]|0[1-9]|1[0-2]))?"
        title="2026, 2026-Q4 or 2026-11"
      />
      <button type="submit">Show</button>
      <a href="#print-note">Print or save as PDF</a>
    </form>
    <p id="print-note" class="hint no-print">
      To print or save this report as a PDF, use your browser’s Print command (Ctrl+P, or ⌘P on a Mac) and
      choose “Save as PDF” as the printer. Navigation is left out and each section starts on a new page.
    </p>
    <p class="report-meta">
      ${report.agreement.title} (${report.agreement.id}, version ${report.agreement.version}) ·
      ${report.period.label}: ${report.period.fromDay} to ${report.period.toDay}
      (${report.agreement.timezone}) · generated ${report.generatedAt}
    </p>
    <section class="report-section" aria-labelledby="force-h">
      <h2 id="force-h">In force</h2>
      ${
        inForce.now
          ? html`<p class="ok">In force now; to be revised by ${inForce.reviseBy}.</p>`
          : html`<p class="error">Not in force now: ${inForce.why.join('; ')}.</p>`
      }
    </section>
    <section class="report-section" aria-labelledby="activity-h">
      <h2 id="activity-h">Activity</h2>
      ${stackedBarChart({
        title: 'Activity by month',
        labels: months.map((m) => m.month),
        series: [
          { key: 'people', label: 'Detail requests' },
          { key: 'project', label: 'Tables' },
          { key: 'setting', label: 'Lookups' },
        ],
        values: [
          months.map((m) => m.detailRequests),
          months.map((m) => m.tables),
          months.map((m) => m.lookups),
        ],
      })}
      ${dataTable(
        [...months, { ...activity.total, month: 'Total' }],
        [
          { header: 'Month', rowHeader: true, cell: (m) => m.month },
          { header: 'Detail requests', cell: (m) => m.detailRequests },
          { header: 'Tables', cell: (m) => m.tables },
          { header: 'Lookups', cell: (m) => m.lookups },
          { header: 'Hits', cell: (m) => m.hits },
          { header: 'Questions', cell: (m) => m.questions },
          { header: 'Denials', cell: (m) => m.denials },
          { header: 'Disclosures', cell: (m) => m.disclosures },
          { header: 'Records released', cell: (m) => m.recordsReleased },
        ],
        { caption: 'Activity by month' },
      )}
    </section>
    <section class="report-section" aria-labelledby="denials-h">
      <h2 id="denials-h">Denials by safe and reason</h2>
      ${
        safes.length
          ? stackedBarChart({
              title: 'Denials by safe',
              labels: safes.map(([safe]) => safe),
              series: [{ key: 'deny', label: 'Denials' }],
              values: [safes.map(([, n]) => n)],
            })
          : ''
      }
      ${dataTable(
        Object.entries(activity.denialReasons),
        [
          { header: 'Reason', rowHeader: true, cell: ([code]) => code },
          { header: 'Denials', cell: ([, n]) => n },
        ],
        { caption: 'Denials by reason', empty: html`<p>No denial in the period.</p>` },
      )}
    </section>
    <section class="report-section" aria-labelledby="response-h">
      <h2 id="response-h">Response times</h2>
      <p>
        ${responseTimes.responseTimeHours === null ? 'The agreement sets no response time.' : `The agreement asks for an answer within ${responseTimes.responseTimeHours} hours.`}
      </p>
      ${stackedBarChart({
        title: 'Median response time by provider (hours)',
        labels: responseTimes.providers.map((p) => p.providerId),
        series: [{ key: 'people', label: 'Median hours' }],
        values: [responseTimes.providers.map((p) => p.medianHours ?? 0)],
      })}
      ${dataTable(
        responseTimes.providers,
        [
          { header: 'Provider', rowHeader: true, cell: (p) => p.providerId },
          { header: 'Received', cell: (p) => p.received },
          { header: 'Answered', cell: (p) => p.answered },
          { header: 'Median', cell: (p) => hours(p.medianHours) },
          { header: '90th percentile', cell: (p) => hours(p.p90Hours) },
          { header: 'Overdue', cell: (p) => p.overdue },
        ],
        { caption: 'Response times by provider' },
      )}
    </section>
    <section class="report-section" aria-labelledby="outcomes-h">
      <h2 id="outcomes-h">Outcomes against the goals</h2>
      ${
        outcomes.goals.length
          ? stackedBarChart({
              title: 'Outcomes against the goals',
              labels: outcomes.goals.map((g) => g.id),
              series: [
                { key: 'permit', label: 'Achieved' },
                { key: 'togo', label: 'Still to reach the target' },
              ],
              values: [
                outcomes.goals.map((g) => g.achieved),
                outcomes.goals.map((g) => Math.max(0, Math.ceil(g.target - g.achieved))),
              ],
            })
          : ''
      }
      ${dataTable(
        outcomes.goals,
        [
          { header: 'Goal', rowHeader: true, cell: (g) => g.title },
          { header: 'Outcome counted', cell: (g) => g.outcome },
          { header: 'Target in the period', cell: (g) => g.target },
          { header: 'Achieved', cell: (g) => g.achieved },
        ],
        {
          caption: `Goals (${outcomes.recorded} outcome(s) recorded in the period)`,
          empty: html`<p>The agreement sets no goals.</p>`,
        },
      )}
    </section>
    <section class="report-section" aria-labelledby="screening-h">
      <h2 id="screening-h">Partners’ screening</h2>
      ${dataTable(
        screening,
        [
          { header: 'Partner', rowHeader: true, cell: (s) => s.partnerId },
          {
            header: 'Today',
            cell: (s) =>
              s.conditions.length ? `cleared with conditions: ${s.conditions.join('; ')}` : s.today,
          },
          { header: 'Next review', cell: (s) => s.nextReviewOn ?? '—' },
          {
            header: 'During the period',
            cell: (s) => s.duringPeriod.map((d) => `${d.status} since ${d.since}`).join('; ') || '—',
          },
        ],
        { caption: 'Screening of the parties' },
      )}
    </section>
    <section class="report-section" aria-labelledby="changes-h">
      <h2 id="changes-h">Changes to the agreement</h2>
      ${dataTable(
        changes.acceptances,
        [
          { header: 'When', cell: (a) => a.at },
          { header: 'Party', rowHeader: true, cell: (a) => a.partnerId },
          { header: 'Action', cell: (a) => (a.action === 'accept' ? 'accepted' : 'withdrew') },
          { header: 'Version', cell: (a) => a.version },
          { header: 'Digest', cell: (a) => `${a.digest.slice(0, 16)}…` },
        ],
        {
          caption: 'Acceptances and withdrawals',
          empty: html`<p>No acceptance or withdrawal in the period.</p>`,
        },
      )}
      ${dataTable(
        changes.policyLoads,
        [
          { header: 'When', cell: (l) => l.at },
          { header: 'Policy digest', cell: (l) => `${l.policyDigest.slice(0, 16)}…` },
          { header: 'Agreement version', cell: (l) => l.agreementVersion ?? 'not loaded' },
          { header: 'Changed', cell: (l) => (l.changed ? 'yes' : '') },
        ],
        { caption: 'Policy loads', empty: html`<p>No policy load in the period.</p>` },
      )}
    </section>`;
}
