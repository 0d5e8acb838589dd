/** Responder pages: the inbox, answering through the partner's adapter with a preview, datasets. */
import fs from 'node:fs';
import { adapters } from '../../mapping';
import { guards } from '../../http/routes';
import { problems } from '../../http/problem';
import { firstApprovalDue, fourEyesApply, preparedByCaller } from '../../requests/four-eyes';
import { handlingOf, handlingView } from '../../requests/handling';
import type { StoredRequest } from '../../requests/types';
import { TLP_LEVELS, type Handling, type Tlp } from '../../policy/types';
import type { UploadMode } from '../../datasets/types';
import type { QuarantineEntry } from '../../mapping/types';
import { all, one } from '../forms';
import { html } from '../html';
import { csrfField } from '../layout';
import { exampleFile, exampleFiles } from '../../datasets/demo-seed';
import type { Ctx, PortalRoute } from '../context';
import { formatOf, streamOf } from '../uploads';
import { dataTable } from '../data-table';
import { recordsTable, stateLabel } from '../views';
import { validateApprove, validateDecline } from '../../requests/routes';
import { askedFacts, idOf, receiptLink, roundingBaseOf } from './request-facts';
import { tableView } from '../table-view';

const adaptersOf = (partnerId: string) => [...adapters.values()].filter((a) => a.partnerId === partnerId);

/** The adapters' example files (demo data) are offered in demo mode. */
const SAMPLE_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
};
function samplesHint(ctx: Ctx) {
  if (!ctx.deps.demo?.enabled) return '';
  const links = adaptersOf(ctx.identity.partnerId).flatMap((a) =>
    exampleFiles(a.id).map((f) => html`<a href="/portal/samples/${a.id}/${f}" download>${a.id}/${f}</a> `),
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

function uploadForm(ctx: Ctx, action: string, extra = html``) {
  const own = adaptersOf(ctx.identity.partnerId);
  return html`<form class="stack" method="post" action="${action}" enctype="multipart/form-data">
      ${csrfField(ctx.user.csrf)}
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
    ${samplesHint(ctx)}`;
}

export async function providerView(ctx: Ctx, request: StoredRequest): Promise<void> {
  const agreement = ctx.deps.bundle().agreements.get(request.input.agreementId);
  const hits = (await ctx.deps.services.requests.providerRecords(request)).matching;
  const preview = request.preview;
  const h = handlingView(handlingOf(request));
  const open = ['awaiting_provider', 'answered', 'withheld'].includes(request.state);
  // A table is computed by the gateway from the shared dataset: there is nothing to answer, only to
  // approve or decline.
  const table = request.input.query !== undefined;
  ctx.render(
    `Request from ${request.requesterPartner}`,
    html`<dl class="facts">
        <dt>State</dt>
        <dd>${stateLabel(request.state)}</dd>
        <dt>Purpose</dt>
        <dd>${request.input.purpose}</dd>
        <dt>Legal basis</dt>
        <dd>${agreement?.legalBasis ?? '—'}</dd>
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
                      roundingBase: roundingBaseOf(ctx, request),
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
                ${csrfField(ctx.user.csrf)}
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
                ${handlingChoice(request)} ${fourEyesNotice(ctx, request)}
                <button type="submit">${approveLabel(ctx, request)}</button>
              </form>
            </div>`
          : ''
      }
      ${
        open && table
          ? html`<h2>Decline</h2>
              ${declineForm(ctx, request)}`
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
                      ${csrfField(ctx.user.csrf)}
                      <p>
                        ${hits.length} record(s) of your shared dataset
                        <strong>${request.input.datasetId}</strong> match this request (cited by a hit, or
                        with an identifier it asks about). You can answer with them as they were last
                        uploaded, or upload a file below. Either way you see the preview before anything
                        leaves.
                      </p>
                      <div><button type="submit">Answer with the records hit</button></div>
                    </form>`
                  : ''
              }
              ${uploadForm(ctx, `/portal/requests/${request.id}/answer`)}
              <h2>Decline</h2>
              ${declineForm(ctx, request)}`
          : ''
      }
      <p><a href="/portal/inbox">Back to the inbox</a></p>`,
  );
}

function declineForm(ctx: Ctx, request: StoredRequest) {
  return html`<form class="stack" method="post" action="/portal/requests/${request.id}/decline">
    ${csrfField(ctx.user.csrf)}
    <div>
      <label for="decline-reason">Reason for declining</label
      ><textarea id="decline-reason" name="reason" rows="2" minlength="3" required></textarea>
    </div>
    <div><button type="submit" class="danger">Decline</button></div>
  </form>`;
}

export function responderRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/samples/:adapter/:file',
      guard: guards.anyOf('requests:answer', 'datasets:write'),
      handler: async (ctx) => {
        const adapterId = String(ctx.req.params.adapter);
        const file = String(ctx.req.params.file);
        const own = adaptersOf(ctx.identity.partnerId).some((a) => a.id === adapterId);
        if (!ctx.deps.demo?.enabled || !own || !exampleFiles(adapterId).includes(file)) {
          throw problems.notFound('No such example file.');
        }
        ctx.res.setHeader('Content-Disposition', `attachment; filename="${adapterId}-${file}"`);
        ctx.res
          .type(SAMPLE_TYPES[file.slice(file.indexOf('.') + 1)])
          .send(fs.readFileSync(exampleFile(adapterId, file)));
      },
    },
    {
      method: 'get',
      path: '/inbox',
      guard: guards.anyOf('inbox:read'),
      handler: async (ctx) => {
        const items = await ctx.deps.services.requests.inbox(ctx.identity);
        // What each request's provider holds that matches, gathered before the table is drawn.
        const rows = await Promise.all(
          items.map(async (r) => ({
            request: r,
            matching: (await ctx.deps.services.requests.providerRecords(r)).matching,
            legal: ctx.deps.bundle().agreements.get(r.input.agreementId)?.legalBasis ?? '—',
          })),
        );
        ctx.render(
          'Inbox',
          dataTable(
            rows,
            [
              {
                header: 'Case',
                cell: ({ request: r }) => html`<a href="/portal/requests/${r.id}">${r.input.caseRef}</a>`,
              },
              { header: 'From', cell: ({ request: r }) => r.requesterPartner },
              { header: 'Purpose', cell: ({ request: r }) => r.input.purpose },
              { header: 'Legal basis', cell: ({ legal }) => legal },
              { header: 'Fields asked', cell: ({ request: r }) => r.input.fields.join(', ') },
              {
                header: 'Our matching records',
                cell: ({ matching }) => [...new Set(matching.map((x) => x.sourceRef))].join(', ') || '—',
              },
              { header: 'State', cell: ({ request: r }) => stateLabel(r.state) },
            ],
            { empty: html`<p>No open requests.</p>` },
          ),
        );
      },
    },
    {
      method: 'post',
      path: '/requests/:id/answer',
      guard: guards.anyOf('requests:answer'),
      handler: async (ctx) => {
        // Whose request it is comes first: a stranger learns nothing, not even that a file is missing.
        const { side } = await ctx.deps.services.requests.get(ctx.identity, idOf(ctx));
        if (side !== 'provider') throw problems.forbidden('Only the provider answers a request.');
        const file = ctx.form.file;
        if (!file || !file.data.length) throw problems.badRequest('Choose a file to upload.');
        const request = await ctx.deps.services.requests.answerUpload(
          ctx.identity,
          idOf(ctx),
          one(ctx.form, 'adapter'),
          formatOf(file),
          streamOf(file.data),
        );
        ctx.redirect(
          `/portal/requests/${request.id}`,
          `Answer mapped: ${request.preview?.records.length ?? 0} record(s) in the preview, ${request.preview?.quarantine.length ?? 0} quarantined. Nothing has left yet.`,
        );
      },
    },
    {
      method: 'post',
      path: '/requests/:id/answer-shared',
      guard: guards.anyOf('requests:answer'),
      handler: async (ctx) => {
        const request = await ctx.deps.services.requests.answerShared(ctx.identity, idOf(ctx));
        ctx.redirect(
          `/portal/requests/${request.id}`,
          `Answered with your shared records: ${request.preview?.records.length ?? 0} in the preview. Nothing has left yet.`,
        );
      },
    },
    {
      method: 'post',
      path: '/requests/:id/approve',
      guard: guards.anyOf('requests:answer'),
      handler: async (ctx) => {
        // The preview shown on the page (a hidden field): a newer answer is not released unseen.
        const written = one(ctx.form, 'reason');
        const handling = chosenHandling(ctx);
        const { previewVersion, reason } = validateApprove({
          previewVersion: Number(one(ctx.form, 'previewVersion')),
          ...(written ? { reason: written } : {}),
          ...(handling ? { handling } : {}),
        });
        const approval = await ctx.deps.services.requests.approve(
          ctx.identity,
          idOf(ctx),
          previewVersion,
          reason,
          handling,
        );
        const request = approval.request;
        ctx.redirect(
          `/portal/requests/${request.id}`,
          approval.step === 'first-approval'
            ? 'First approval recorded: another responder of your organisation releases it.'
            : `Released to ${request.requesterPartner}, until ${request.expiresAt}.`,
        );
      },
    },
    {
      method: 'post',
      path: '/requests/:id/decline',
      guard: guards.anyOf('requests:answer'),
      handler: async (ctx) => {
        const { reason } = validateDecline({ reason: one(ctx.form, 'reason') });
        const request = await ctx.deps.services.requests.decline(ctx.identity, idOf(ctx), reason);
        ctx.redirect(`/portal/requests/${request.id}`, 'Request declined.');
      },
    },
    {
      method: 'get',
      path: '/datasets',
      guard: guards.anyOf('datasets:write'),
      handler: async (ctx) => {
        const items = await ctx.deps.services.datasets.list(ctx.identity);
        ctx.render(
          'Shared datasets',
          html`${items.map(
            (d) =>
              html`<section aria-labelledby="ds-${d.datasetId}">
                <h2 id="ds-${d.datasetId}">${d.datasetId}</h2>
                <p>${d.records} record(s) indexed for hit/no-hit.</p>
                ${
                  d.lastUpload
                    ? html`<dl class="facts">
                          <dt>Last upload</dt>
                          <dd>
                            ${d.lastUpload.uploadedAt} by ${d.lastUpload.uploadedBy}
                            (${d.lastUpload.adapterId}, ${d.lastUpload.mode})
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
                  ctx,
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
          )}${items.length ? '' : html`<p>Your organisation shares no dataset.</p>`}`,
        );
      },
    },
    {
      method: 'post',
      path: '/datasets/:datasetId',
      guard: guards.anyOf('datasets:write'),
      handler: async (ctx) => {
        const file = ctx.form.file;
        if (!file || !file.data.length) throw problems.badRequest('Choose a file to upload.');
        const datasetId = String(ctx.req.params.datasetId);
        if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(datasetId)) throw problems.notFound('No such dataset.');
        const mode = one(ctx.form, 'mode') as UploadMode;
        if (mode !== 'replace' && mode !== 'upsert') throw problems.badRequest('Mode is replace or upsert.');
        const upload = await ctx.deps.services.datasets.upload(
          ctx.identity,
          datasetId,
          one(ctx.form, 'adapter'),
          formatOf(file),
          mode,
          streamOf(file.data),
        );
        ctx.redirect(
          '/portal/datasets',
          `Uploaded ${datasetId}: ${upload.read} read, ${upload.mapped} mapped, ${upload.quarantined} quarantined.`,
        );
      },
    },
  ];
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
 * The handling chosen on the approve form: the TLP chosen, the agreement's conditions (hidden fields:
 * one dropped is refused by the service) and the further ones typed.
 */
function chosenHandling(ctx: Ctx): Handling | undefined {
  const tlp = one(ctx.form, 'tlp');
  if (!tlp) return undefined;
  const extra = one(ctx.form, 'conditions')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return { tlp: tlp as Tlp, conditions: [...all(ctx.form, 'agreedCondition'), ...extra] };
}

/** Under four eyes, a table's first approval releases nothing: the button says so. */
function approveLabel(ctx: Ctx, request: StoredRequest) {
  const preview = request.preview;
  return preview && firstApprovalDue(ctx.deps.bundle(), request, preview)
    ? 'Approve (first of two)'
    : 'Approve and release';
}

/**
 * Under four eyes, the one who prepared the answer (or approved a table first) is told that another
 * responder releases it; the second responder sees who came first, with their reason and handling.
 */
function fourEyesNotice(ctx: Ctx, request: StoredRequest) {
  const preview = request.preview;
  if (!preview || !fourEyesApply(ctx.deps.bundle(), request)) return '';
  const by = preview.preparedBy;
  const mine = preparedByCaller(ctx.identity, preview);
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
