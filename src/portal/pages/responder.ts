/** Responder pages: the inbox, answering through the partner's adapter with a preview, datasets. */
import fs from 'node:fs';
import { adapters } from '../../mapping';
import { guards } from '../../http/routes';
import { problems } from '../../http/problem';
import { firstApprovalDue, fourEyesApply, preparedByCaller } from '../../requests/four-eyes';
import type { StoredRequest } from '../../requests/types';
import type { Handling, Tlp } from '../../policy/types';
import type { UploadMode } from '../../datasets/types';
import { all, one } from '../forms';
import { exampleFile, exampleFiles } from '../../datasets/demo-seed';
import type { Ctx, PortalRoute } from '../context';
import { formatOf, streamOf } from '../uploads';
import { validateApprove, validateDecline } from '../../requests/routes';
import { contactsOf, idOf, roundingBaseOf } from './request-facts';
import { overdue } from '../../partnership/overdue';
import { datasetsView, inboxView, providerPageView, type UploadChoices } from './responder-views';

const adaptersOf = (partnerId: string) => [...adapters.values()].filter((a) => a.partnerId === partnerId);

/** The adapters' example files (demo data) are offered in demo mode. */
const SAMPLE_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
};
/** The provider's side of a request page (analyst.ts routes both sides' GET /requests/:id here). */
export async function renderProviderPage(ctx: Ctx, request: StoredRequest): Promise<void> {
  const bundle = ctx.deps.bundle();
  const preview = request.preview;
  ctx.render(
    `Request from ${request.requesterPartner}`,
    providerPageView({
      request,
      csrf: ctx.user.csrf,
      legalBasis: bundle.agreements.get(request.input.agreementId)?.legalBasis,
      hits: (await ctx.deps.services.requests.providerRecords(request)).matching,
      roundingBase: roundingBaseOf(ctx, request),
      fourEyes: {
        apply: fourEyesApply(bundle, request),
        firstApprovalDue: preview ? firstApprovalDue(bundle, request, preview) : false,
        preparedByCaller: preview ? preparedByCaller(ctx.identity, preview) : false,
      },
      upload: uploadChoices(ctx),
      contacts: contactsOf(ctx, request),
      overdue: overdue(request, bundle.agreements.get(request.input.agreementId), ctx.deps.clock()),
    }),
  );
}

/** The caller's partner's adapters, and in demo mode their example files. */
function uploadChoices(ctx: Ctx): UploadChoices {
  const own = adaptersOf(ctx.identity.partnerId);
  return {
    csrf: ctx.user.csrf,
    adapters: own,
    samples: ctx.deps.demo?.enabled
      ? own.flatMap((a) => exampleFiles(a.id).map((file) => ({ adapterId: a.id, file })))
      : [],
  };
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
            overdue: overdue(r, ctx.deps.bundle().agreements.get(r.input.agreementId), ctx.deps.clock()),
          })),
        );
        ctx.render('Inbox', inboxView(rows));
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
        ctx.render('Shared datasets', datasetsView(items, uploadChoices(ctx)));
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
