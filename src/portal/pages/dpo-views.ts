/**
 * The DPO pages' markup: each view takes what its handler (dpo.ts) gathered and calls no service, so
 * what a page shows can be read apart from how its data is found.
 */
import type { AuditService, StatsRow } from '../../audit/service';
import type { AuditEntry } from '../../audit/types';
import { SAFE_NAMES } from '../../safes/types';
import { stackedBarChart } from '../charts';
import { dataTable } from '../data-table';
import { html } from '../html';
import { csrfField } from '../layout';
import { cell } from '../views';

type Checkpoint = Awaited<ReturnType<AuditService['latestCheckpoint']>>;
type LogEntry = Awaited<ReturnType<AuditService['events']>>['items'][number];
type Verification = Awaited<ReturnType<AuditService['verify']>>;

/** The log page: the last checkpoint, the export and search forms, a page of entries. */
export interface LogPage {
  csrf: string;
  latest: Checkpoint | null;
  /** The search fields, with the values searched for. */
  filters: readonly { name: string; label: string; value: string }[];
  items: readonly LogEntry[];
  /** The link to the next page of older entries, if there is one. */
  older?: string;
}

export function logView(page: LogPage) {
  return html`<section aria-labelledby="verify-h">
      <h2 id="verify-h">Verification</h2>
      ${page.latest ? html`<p>Last signed checkpoint: <strong>${page.latest.treeSize}</strong> entries, ${page.latest.timestamp}, root ${page.latest.rootHash.slice(0, 16)}…, key ${page.latest.keyId.slice(0, 16)}…</p>` : html`<p class="hint">No checkpoint has been signed yet.</p>`}
      <div class="actions">
        <form method="post" action="/portal/log/verify">
          ${csrfField(page.csrf)}<button type="submit">Verify the log now</button>
        </form>
        <a href="/portal/log/activity">Activity by agreement (charts)</a>
      </div>
    </section>
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <form method="post" action="/portal/log/export" class="filters">
        ${csrfField(page.csrf)}
        <div><label for="x-from">From (day, UTC)</label><input type="date" id="x-from" name="from" /></div>
        <div><label for="x-to">To (day, UTC, inclusive)</label><input type="date" id="x-to" name="to" /></div>
        <div>
          <label for="x-partner">Only entries involving partner</label
          ><input type="text" id="x-partner" name="partner" pattern="[A-Za-z0-9._-]{1,64}" />
        </div>
        <div>
          <button type="submit" name="format" value="jsonl" class="secondary">Export JSON Lines</button>
          <button type="submit" name="format" value="csv" class="secondary">Export CSV</button>
        </div>
      </form>
      <p class="hint">
        Empty fields mean no limit. The export itself is logged. JSON Lines ends with a line that says how
        many entries it holds, so a cut-off file is recognised.
      </p>
    </section>
    <section aria-labelledby="filter-h">
      <h2 id="filter-h">Search</h2>
      <form method="get" action="/portal/log" class="filters">
        ${page.filters.map(
          ({ name, label, value }) =>
            html`<div>
              <label for="f-${name}">${label}</label
              ><input type="text" id="f-${name}" name="${name}" value="${value}" />
            </div>`,
        )}
        <div><button type="submit">Filter</button> <a href="/portal/log">Clear</a></div>
      </form>
    </section>
    <h2>Entries</h2>
    ${dataTable(
      page.items,
      [
        { header: '#', cell: (e) => e.seq },
        { header: 'Time', cell: (e) => e.ts },
        { header: 'Type', cell: (e) => e.type },
        { header: 'Actor', cell: actorLink },
        { header: 'Partners', cell: (e) => e.partners.join(', ') },
        { header: 'Agreement', cell: (e) => e.agreementId ?? '' },
        {
          header: 'Request',
          cell: (e) =>
            e.requestId
              ? html`<a href="/portal/log?request=${e.requestId}">${e.requestId.slice(0, 8)}</a>`
              : '',
        },
        { header: 'Outcome', cell: (e) => e.outcome ?? '' },
        {
          header: 'Details',
          cell: (e) =>
            html`<code>${cell(e.data).slice(0, 300)}</code>
              ${e.redacted ? html`<span class="hint">(your partner's view: ${e.redacted.join(', ')} cut)</span>` : ''}`,
        },
      ],
      { className: 'log' },
    )}
    ${page.items.length ? '' : html`<p>No entries match.</p>`}
    ${page.older ? html`<p><a href="${page.older}">Older entries</a></p>` : ''}`;
}

/** The activity page: the days chosen, and each agreement shown with its rows. */
export interface ActivityPage {
  from: string;
  to: string;
  chosen: string;
  agreements: readonly string[];
  days: string[];
  shown: readonly { agreementId: string; rows: StatsRow[] }[];
}

export function activityView({ from, to, chosen, agreements, days, shown }: ActivityPage) {
  return html`<form method="get" action="/portal/log/activity" class="filters">
      <div>
        <label for="a-from">From (day)</label
        ><input type="date" id="a-from" name="from" value="${from}" required />
      </div>
      <div>
        <label for="a-to">To (day, inclusive)</label
        ><input type="date" id="a-to" name="to" value="${to}" required />
      </div>
      <div>
        <label for="a-agreement">Agreement</label>
        <select id="a-agreement" name="agreement">
          <option value="">All with activity</option>
          ${agreements.map(
            (a) => html`<option value="${a}" ${a === chosen ? html`selected` : ''}>${a}</option>`,
          )}
        </select>
      </div>
      <div><button type="submit">Show</button> <a href="/portal/log">Back to the log</a></div>
    </form>
    <p class="hint">
      Decisions on detail and aggregate requests and on hit/no-hit lookups, permitted and denied, per day,
      each day in the agreement's own time zone; a denial counts once under every safe that failed.
    </p>
    ${
      shown.length
        ? shown.map((a) => agreementActivity(a.agreementId, a.rows, days))
        : html`<p>No decisions from ${from} to ${to}${chosen ? html` under ${chosen}` : ''}.</p>`
    }`;
}

export function verifyView(r: Verification) {
  return html`<p class="${r.ok ? 'ok' : 'error'}" role="status">
      <strong class="verify-result">${r.ok ? 'Intact' : 'BROKEN'}</strong>: ${r.entries} entries checked
      against ${r.checkpoints.matched} of ${r.checkpoints.total} signed checkpoints at ${r.verifiedAt}.
      ${r.firstBroken ? html` First broken entry: #${r.firstBroken.seq} (${r.firstBroken.reason}).` : ''}
      ${r.unsigned ? `${r.unsigned} newest entries are not under a checkpoint yet.` : ''}
    </p>
    <p>Signatures checked with the gateway's key ${r.checkpoints.keyId.slice(0, 16)}…</p>
    <p><code class="verdict">${r.verdict}</code></p>
    ${r.checkpoints.latest ? html`<p>Latest checkpoint: ${r.checkpoints.latest.treeSize} entries, ${r.checkpoints.latest.timestamp}.</p>` : ''}
    <p><a href="/portal/log">Back to the log</a></p>`;
}

const SAFE_LABELS: Record<string, string> = {
  people: 'People',
  project: 'Project',
  setting: 'Setting',
  data: 'Data',
  output: 'Output',
};

const plural = (n: number, noun: string) => html`<strong>${n}</strong> ${noun}${n === 1 ? '' : 's'}`;

function agreementActivity(agreementId: string, rows: StatsRow[], days: string[]) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const at = (day: string) => byDay.get(day);
  const sum = (f: (r: StatsRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  const safes = SAFE_NAMES.filter((safe) => rows.some((r) => r.deniedBySafe[safe]));
  const reasons = new Map<string, number>();
  for (const r of rows)
    for (const [code, n] of Object.entries(r.denialReasons)) reasons.set(code, (reasons.get(code) ?? 0) + n);
  return html`<section class="activity" aria-labelledby="a-${agreementId}">
    <h2 id="a-${agreementId}">${agreementId}</h2>
    <p>
      ${plural(
        sum((r) => r.requests),
        'request',
      )}
      and
      ${plural(
        sum((r) => r.lookups),
        'hit/no-hit lookup',
      )}
      decided: <strong>${sum((r) => r.permits)}</strong> permitted, <strong>${sum((r) => r.denials)}</strong>
      denied;
      ${plural(
        sum((r) => r.disclosures),
        'disclosure',
      )}
      releasing
      ${plural(
        sum((r) => r.recordsReleased),
        'record',
      )}.
    </p>
    <h3>Decisions per day</h3>
    ${stackedBarChart({
      title: `${agreementId}: decisions per day, permitted and denied`,
      labels: days,
      series: [
        { key: 'permit', label: 'Permitted' },
        { key: 'deny', label: 'Denied' },
      ],
      values: [days.map((d) => at(d)?.permits ?? 0), days.map((d) => at(d)?.denials ?? 0)],
    })}
    <h3>Denials per day, by the safe that failed</h3>
    ${
      safes.length
        ? stackedBarChart({
            title: `${agreementId}: denials per day by the safe that failed`,
            labels: days,
            series: safes.map((safe) => ({ key: safe, label: `${SAFE_LABELS[safe]} failed` })),
            values: safes.map((safe) => days.map((d) => at(d)?.deniedBySafe[safe] ?? 0)),
          })
        : html`<p class="hint">No denials in this period.</p>`
    }
    ${
      reasons.size
        ? html`<p>
            Denial reasons:
            ${[...reasons]
              .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
              .map(([code, n], i) => html`${i ? ', ' : ''}<code>${code}</code> × ${n}`)}
          </p>`
        : ''
    }
    <details>
      <summary>Figures per day</summary>
      ${dataTable(rows, [
        { header: 'Day', cell: (r) => r.day, rowHeader: true },
        { header: 'Requests', cell: (r) => r.requests },
        { header: 'Lookups', cell: (r) => r.lookups },
        { header: 'Permitted', cell: (r) => r.permits },
        { header: 'Denied', cell: (r) => r.denials },
        ...SAFE_NAMES.map((safe) => ({
          header: `${SAFE_LABELS[safe]} failed`,
          cell: (r: (typeof rows)[number]) => r.deniedBySafe[safe] ?? 0,
        })),
        { header: 'Disclosures', cell: (r) => r.disclosures },
        { header: 'Records released', cell: (r) => r.recordsReleased },
      ])}
    </details>
  </section>`;
}

/** A log entry's actor, a link to the entries by the same person; or the system. */
function actorLink(e: Pick<AuditEntry, 'actorUser' | 'actorPartner'>) {
  return e.actorUser && e.actorPartner
    ? html`<a href="/portal/log?user=${encodeURIComponent(`${e.actorPartner}:${e.actorUser}`)}"
        >${e.actorUser} (${e.actorPartner})</a
      >`
    : (e.actorUser ?? 'system');
}
