/** DPO pages: the log as a filterable table, verification and the last checkpoint, export, subject search. */
import { PassThrough } from 'node:stream';
import { guards } from '../../http/routes';
import { problems, ProblemError } from '../../http/problem';
import { CONTENT_TYPES, type ExportFormat } from '../../audit/export';
import type { EventFilter } from '../../audit/service';
import { one } from '../forms';
import { html } from '../html';
import { csrfField } from '../layout';
import type { Ctx, PortalRoute } from '../portal';
import { cell } from '../views';

const FILTERS: [name: string, label: string, pattern: RegExp][] = [
  ['agreement', 'Agreement', /^[A-Za-z0-9._-]{1,128}$/],
  ['partner', 'Partner', /^[A-Za-z0-9._-]{1,64}$/],
  ['user', 'User', /^[A-Za-z0-9._@-]{1,128}$/],
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
                <form method="post" action="/portal/log/export">
                  ${csrfField(ctx.user.csrf)}<input type="hidden" name="format" value="jsonl" /><button
                    type="submit"
                    class="secondary"
                  >
                    Export JSON Lines
                  </button>
                </form>
                <form method="post" action="/portal/log/export">
                  ${csrfField(ctx.user.csrf)}<input type="hidden" name="format" value="csv" /><button
                    type="submit"
                    class="secondary"
                  >
                    Export CSV
                  </button>
                </form>
              </div>
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
            <div class="table-wrap">
              <table class="log">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Time</th>
                    <th scope="col">Type</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Partners</th>
                    <th scope="col">Agreement</th>
                    <th scope="col">Request</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  ${items.map(
                    (e) =>
                      html`<tr>
                        <td>${e.seq}</td>
                        <td>${e.ts}</td>
                        <td>${e.type}</td>
                        <td>${e.actorUser ?? 'system'}${e.actorPartner ? ` (${e.actorPartner})` : ''}</td>
                        <td>${e.partners.join(', ')}</td>
                        <td>${e.agreementId ?? ''}</td>
                        <td>
                          ${e.requestId ? html`<a href="/portal/log?request=${e.requestId}">${e.requestId.slice(0, 8)}</a>` : ''}
                        </td>
                        <td>${e.outcome ?? ''}</td>
                        <td><code>${cell(e.data).slice(0, 300)}</code></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${items.length ? '' : html`<p>No entries match.</p>`}
            ${nextCursor ? html`<p><a href="/portal/log?${next.toString()}">Older entries</a></p>` : ''}`,
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
        // Buffered through a pass-through so an error before the first byte still renders a page.
        const out = new PassThrough();
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        ctx.res.status(200).type(CONTENT_TYPES[format]);
        ctx.res.setHeader('Content-Disposition', `attachment; filename="fsg-audit-${stamp}.${format}"`);
        out.pipe(ctx.res);
        try {
          await ctx.deps.services.audit.export(ctx.identity, {}, format, out);
          out.end();
        } catch (error) {
          out.destroy();
          ctx.res.destroy(error as Error);
        }
      },
    },
  ];
}
