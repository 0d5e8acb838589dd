/** DPO pages: the log as a filterable table, verification and the last checkpoint, export, subject search. */
import { PassThrough } from 'node:stream';
import { guards } from '../../http/routes';
import { problems, ProblemError } from '../../http/problem';
import { logTimestamp } from '../../http/timestamps';
import { CONTENT_TYPES, type ExportFormat } from '../../audit/export';
import type { EventFilter, StatsRow } from '../../audit/service';
import type { AuditEntry } from '../../audit/types';
import { localDate } from '../../requests/local-day';
import { PERSON } from '../../records/accreditation';
import { SAFE_NAMES } from '../../safes/types';
import { daysBetween, stackedBarChart } from '../charts';
import { one } from '../forms';
import { dataTable } from '../data-table';
import { html } from '../html';
import { csrfField } from '../layout';
import type { Ctx, PortalRoute } from '../context';
import { cell } from '../views';

const PARTNER = /^[A-Za-z0-9._-]{1,64}$/;

const FILTERS: [name: string, label: string, pattern: RegExp][] = [
  ['agreement', 'Agreement', /^[A-Za-z0-9._-]{1,128}$/],
  ['partner', 'Partner', PARTNER],
  // A person is (partner, user): a user id alone could be anyone's at another partner.
  ['user', 'Actor (partner:user, e.g. police-se:sven)', PERSON],
  ['request', 'Request id', /^[0-9a-f-]{36}$/],
  ['type', 'Entry type', /^[a-z][a-z.-]*(,[a-z][a-z.-]*)*$/],
  ['outcome', 'Outcome', /^[A-Za-z_-]{1,64}$/],
  ['identifier', 'Who saw data about this identifier (type:value)', /^[a-z][a-z0-9-]*:\S.{0,190}$/],
  ['subject', 'Who saw data about this person (name)', /^.{1,200}$/],
];

function filterOf(ctx: Ctx): { filter: EventFilter; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (const [name, label, pattern] of FILTERS) {
    const v = ctx.req.query[name];
    if (typeof v !== 'string' || !v.trim()) continue;
    if (!pattern.test(v.trim())) throw problems.badRequest(`${label}: not a valid value.`);
    values[name] = v.trim();
  }
  const { type, ...rest } = values;
  return { filter: { ...rest, ...(type ? { types: type.split(',') } : {}) }, values };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD that is a real day, or a 400 naming the field. */
function dayField(value: string | undefined, label: string): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (!DAY.test(v) || logTimestamp(v, { allowDate: true }) === undefined) {
    throw problems.badRequest(`${label}: not a day (YYYY-MM-DD).`);
  }
  return v;
}

function exportFilterOf(ctx: Ctx): { from?: string; to?: string; partner?: string } {
  const from = dayField(one(ctx.form, 'from'), 'From');
  const to = dayField(one(ctx.form, 'to'), 'To');
  const partner = one(ctx.form, 'partner')?.trim();
  if (from && to && from > to) throw problems.badRequest('From: comes after To.');
  if (partner && !PARTNER.test(partner)) throw problems.badRequest('Partner: not a partner id.');
  return {
    ...(from ? { from: `${from}T00:00:00.000Z` } : {}),
    ...(to ? { to: `${to}T23:59:59.999Z` } : {}),
    ...(partner ? { partner } : {}),
  };
}

const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

/**
 * Today as the latest agreement sees it: days are counted in each agreement's own time zone, and east
 * of UTC the local day has begun while UTC's has not (Amsterdam's from 23:00 UTC): a default range
 * ending on UTC's day left out that day's activity there.
 */
export function latestToday(now: Date, zones: Iterable<string>): string {
  let latest = now.toISOString().slice(0, 10);
  for (const timeZone of new Set(zones)) {
    const day = localDate(now, timeZone);
    if (day > latest) latest = day;
  }
  return latest;
}

function activityRange(ctx: Ctx): { from: string; to: string } {
  const q = ctx.req.query;
  const zones = [...ctx.deps.bundle().agreements.values()].map((a) => a.timezone);
  const today = latestToday(ctx.deps.clock(), zones);
  const to = dayField(typeof q.to === 'string' ? q.to : undefined, 'To') ?? today;
  const from =
    dayField(typeof q.from === 'string' ? q.from : undefined, 'From') ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw problems.badRequest('From: comes after To.');
  if (daysBetween(from, to).length > MAX_DAYS) throw problems.badRequest(`Show at most ${MAX_DAYS} days.`);
  return { from, to };
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

export function dpoRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/log',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const { filter, values } = filterOf(ctx);
        const cursor =
          typeof ctx.req.query.cursor === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(ctx.req.query.cursor)
            ? ctx.req.query.cursor
            : undefined;
        const audit = ctx.deps.services.audit;
        const { items, nextCursor } = await audit.events(ctx.identity, filter, {
          cursor,
          limit: 50,
          order: 'desc',
        });
        const latest = await audit.latestCheckpoint().catch((e: unknown) => {
          if (e instanceof ProblemError && e.status === 404) return null;
          throw e;
        });
        const next = new URLSearchParams({ ...values, ...(nextCursor ? { cursor: nextCursor } : {}) });
        ctx.render(
          'Disclosure log',
          html`<section aria-labelledby="verify-h">
              <h2 id="verify-h">Verification</h2>
              ${latest ? html`<p>Last signed checkpoint: <strong>${latest.treeSize}</strong> entries, ${latest.timestamp}, root ${latest.rootHash.slice(0, 16)}…, key ${latest.keyId.slice(0, 16)}…</p>` : html`<p class="hint">No checkpoint has been signed yet.</p>`}
              <div class="actions">
                <form method="post" action="/portal/log/verify">
                  ${csrfField(ctx.user.csrf)}<button type="submit">Verify the log now</button>
                </form>
                <a href="/portal/log/activity">Activity by agreement (charts)</a>
              </div>
            </section>
            <section aria-labelledby="export-h">
              <h2 id="export-h">Export</h2>
              <form method="post" action="/portal/log/export" class="filters">
                ${csrfField(ctx.user.csrf)}
                <div>
                  <label for="x-from">From (day, UTC)</label><input type="date" id="x-from" name="from" />
                </div>
                <div>
                  <label for="x-to">To (day, UTC, inclusive)</label><input type="date" id="x-to" name="to" />
                </div>
                <div>
                  <label for="x-partner">Only entries involving partner</label
                  ><input type="text" id="x-partner" name="partner" pattern="[A-Za-z0-9._-]{1,64}" />
                </div>
                <div>
                  <button type="submit" name="format" value="jsonl" class="secondary">
                    Export JSON Lines
                  </button>
                  <button type="submit" name="format" value="csv" class="secondary">Export CSV</button>
                </div>
              </form>
              <p class="hint">
                Empty fields mean no limit. The export itself is logged. JSON Lines ends with a line that says
                how many entries it holds, so a cut-off file is recognised.
              </p>
            </section>
            <section aria-labelledby="filter-h">
              <h2 id="filter-h">Search</h2>
              <form method="get" action="/portal/log" class="filters">
                ${FILTERS.map(
                  ([name, label]) =>
                    html`<div>
                      <label for="f-${name}">${label}</label
                      ><input type="text" id="f-${name}" name="${name}" value="${values[name] ?? ''}" />
                    </div>`,
                )}
                <div><button type="submit">Filter</button> <a href="/portal/log">Clear</a></div>
              </form>
            </section>
            <h2>Entries</h2>
            ${dataTable(
              items,
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
            ${items.length ? '' : html`<p>No entries match.</p>`}
            ${nextCursor ? html`<p><a href="/portal/log?${next.toString()}">Older entries</a></p>` : ''}`,
        );
      },
    },
    {
      method: 'get',
      path: '/log/activity',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const { from, to } = activityRange(ctx);
        const chosen = typeof ctx.req.query.agreement === 'string' ? ctx.req.query.agreement : '';
        const days = daysBetween(from, to);
        // Each agreement's local days from..to, scoped to the entries involving the DPO's partner.
        const all = await ctx.deps.services.audit.statsDays(ctx.identity, { fromDay: from, toDay: to });
        const rows = all.filter((r) => r.agreementId);
        const agreements = [...new Set(rows.map((r) => r.agreementId!))].sort();
        const shown = chosen ? agreements.filter((a) => a === chosen) : agreements;
        ctx.render(
          'Activity by agreement',
          html`<form method="get" action="/portal/log/activity" class="filters">
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
              Decisions on detail and aggregate requests and on hit/no-hit lookups, permitted and denied, per
              day, each day in the agreement's own time zone; a denial counts once under every safe that
              failed.
            </p>
            ${
              shown.length
                ? shown.map((a) =>
                    agreementActivity(
                      a,
                      rows.filter((r) => r.agreementId === a),
                      days,
                    ),
                  )
                : html`<p>No decisions from ${from} to ${to}${chosen ? html` under ${chosen}` : ''}.</p>`
            }`,
        );
      },
    },
    {
      method: 'post',
      path: '/log/verify',
      guard: guards.anyOf('audit:read'),
      handler: async (ctx) => {
        const r = await ctx.deps.services.audit.verify(ctx.identity);
        ctx.render(
          'Log verification',
          html`<p class="${r.ok ? 'ok' : 'error'}" role="status">
              <strong class="verify-result">${r.ok ? 'Intact' : 'BROKEN'}</strong>: ${r.entries} entries
              checked against ${r.checkpoints.matched} of ${r.checkpoints.total} signed checkpoints at
              ${r.verifiedAt}.
              ${r.firstBroken ? html` First broken entry: #${r.firstBroken.seq} (${r.firstBroken.reason}).` : ''}
              ${r.unsigned ? `${r.unsigned} newest entries are not under a checkpoint yet.` : ''}
            </p>
            <p>Signatures checked with the gateway's key ${r.checkpoints.keyId.slice(0, 16)}…</p>
            <p><code class="verdict">${r.verdict}</code></p>
            ${r.checkpoints.latest ? html`<p>Latest checkpoint: ${r.checkpoints.latest.treeSize} entries, ${r.checkpoints.latest.timestamp}.</p>` : ''}
            <p><a href="/portal/log">Back to the log</a></p>`,
        );
      },
    },
    {
      method: 'post',
      path: '/log/export',
      guard: guards.anyOf('audit:export'),
      handler: async (ctx) => {
        const format = one(ctx.form, 'format') as ExportFormat;
        if (format !== 'jsonl' && format !== 'csv') throw problems.badRequest('Export as jsonl or csv.');
        const filter = exportFilterOf(ctx);
        // Buffered through a pass-through so an error before the first byte still renders a page.
        const out = new PassThrough();
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        ctx.res.status(200).type(CONTENT_TYPES[format]);
        ctx.res.setHeader('Content-Disposition', `attachment; filename="fsg-audit-${stamp}.${format}"`);
        out.pipe(ctx.res);
        try {
          await ctx.deps.services.audit.export(ctx.identity, filter, format, out);
          out.end();
        } catch (error) {
          out.destroy();
          ctx.res.destroy(error as Error);
        }
      },
    },
  ];
}
