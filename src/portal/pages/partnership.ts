/** Agreement pages: the agreements of the user's partner, one agreement's acceptances, accept and withdraw. */
import { rolesAllow } from '../../http/guard';
import { problems } from '../../http/problem';
import { guards } from '../../http/routes';
import { pathId, validateAcceptance, validateWithdrawal } from '../../partnership/routes';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { agreementPath, agreementsListView, agreementView } from './partnership-views';
import { portalViewer } from './screening';

const ACCEPT = 'agreements:accept';
const agreementOf = (ctx: Ctx) => pathId(ctx.req.params, 'agreementId');

async function agreementPage(ctx: Ctx) {
  const viewer = portalViewer(ctx);
  const status = await ctx.deps.services.partnership.acceptances.status(viewer, agreementOf(ctx));
  const agreement = ctx.deps.bundle().agreements.get(status.agreementId)!;
  const party = status.parties.find((p) => p.partnerId === ctx.identity.partnerId);
  const mayAct = party && rolesAllow(viewer.accreditation, [ACCEPT], ctx.deps.bundle().enforcer);
  ctx.render(
    agreement.title,
    agreementView({
      csrf: ctx.user.csrf,
      agreement,
      status,
      actingFor: mayAct
        ? {
            partnerId: party.partnerId,
            name: party.name,
            accepted: party.acceptance !== null,
            acceptedCurrent: party.acceptance?.current === true,
          }
        : undefined,
    }),
  );
}

export function agreementPageRoutes(): PortalRoute[] {
  const read = guards.anyOf('agreements:read');
  const act = guards.anyOf(ACCEPT);
  return [
    {
      method: 'get',
      path: '/partnership/agreements',
      guard: read,
      handler: async (ctx) => {
        const items = await ctx.deps.services.partnership.acceptances.visible(portalViewer(ctx));
        ctx.render('Agreements', agreementsListView(items));
      },
    },
    { method: 'get', path: '/partnership/agreements/:agreementId', guard: read, handler: agreementPage },
    {
      method: 'post',
      path: '/partnership/agreements/:agreementId/accept',
      guard: act,
      handler: async (ctx) => {
        // The box is the acceptance itself: unticked, nothing is accepted, commitment or not.
        if (one(ctx.form, 'accept') !== 'yes')
          throw problems.badRequest(
            'Tick the box to accept the agreement and its confidentiality commitment.',
          );
        const input = validateAcceptance({
          version: Number(one(ctx.form, 'version')),
          digest: one(ctx.form, 'digest'),
          confidentiality: true,
        });
        const { status, recorded } = await ctx.deps.services.partnership.acceptances.accept(
          portalViewer(ctx),
          agreementOf(ctx),
          input,
        );
        ctx.redirect(
          agreementPath(status.agreementId),
          recorded
            ? `Accepted version ${status.version}.`
            : `Version ${status.version} was accepted already.`,
        );
      },
    },
    {
      method: 'post',
      path: '/partnership/agreements/:agreementId/withdraw',
      guard: act,
      handler: async (ctx) => {
        const { reason } = validateWithdrawal({ reason: one(ctx.form, 'reason') });
        const status = await ctx.deps.services.partnership.acceptances.withdraw(
          portalViewer(ctx),
          agreementOf(ctx),
          reason,
        );
        ctx.redirect(agreementPath(status.agreementId), 'The acceptance is withdrawn.');
      },
    },
  ];
}
