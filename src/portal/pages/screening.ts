/**
 * Screening pages: the gateway's admins record a partner's screening (the API's validation, its
 * problems shown at their fields); DPOs read the histories their scope allows.
 */
import { problems, ProblemError } from '../../http/problem';
import { guards } from '../../http/routes';
import { pathId } from '../../partnership/routes';
import { validateScreening } from '../../partnership/screening';
import { SCREEN, type Viewer } from '../../partnership/viewer';
import type { Accreditation } from '../../records/accreditation';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import {
  screeningPageView,
  screeningPath,
  screeningsView,
  type FieldErrors,
  type ScreeningForm,
} from './screening-views';

export const portalViewer = (ctx: Ctx): Viewer => ({
  identity: ctx.identity,
  accreditation: ctx.res.locals.accreditation as Accreditation,
});

const FIELDS: (keyof ScreeningForm)[] = [
  'reviewedOn',
  'outcome',
  'conditions',
  'riskNotes',
  'contactName',
  'contactEmail',
  'contactPhone',
  'nextReviewOn',
];

const blankForm = (today: string): ScreeningForm => ({
  reviewedOn: today,
  outcome: 'cleared',
  conditions: '',
  riskNotes: '',
  contactName: '',
  contactEmail: '',
  contactPhone: '',
  nextReviewOn: '',
});

/** The form as the API's body: conditions one per line, an empty phone left out. */
function bodyOf(form: ScreeningForm) {
  return {
    reviewedOn: form.reviewedOn,
    outcome: form.outcome,
    conditions: form.conditions
      .split(/\r?\n/)
      .map((c) => c.trim())
      .filter(Boolean),
    riskNotes: form.riskNotes,
    contact: {
      name: form.contactName,
      email: form.contactEmail,
      ...(form.contactPhone ? { phone: form.contactPhone } : {}),
    },
    nextReviewOn: form.nextReviewOn,
  };
}

function errorsOf(error: ProblemError): FieldErrors {
  const errors = new Map<string, string[]>();
  for (const e of (error.extensions.errors as { pointer: string; detail: string }[] | undefined) ?? [])
    errors.set(e.pointer, [...(errors.get(e.pointer) ?? []), e.detail]);
  // A refusal without pointers still says what it was.
  if (!errors.size) errors.set('/', [error.detail ?? error.title]);
  return errors;
}

async function renderScreening(ctx: Ctx, partnerId: string, form: ScreeningForm, errors: FieldErrors) {
  const history = await ctx.deps.services.partnership.screenings.history(portalViewer(ctx), partnerId);
  ctx.render(
    `Screening of ${history.standing.name}`,
    screeningPageView({ csrf: ctx.user.csrf, history, form, errors }),
    errors.size ? 400 : 200,
  );
}

export function screeningRoutes(): PortalRoute[] {
  const screen = guards.anyOf(SCREEN);
  return [
    {
      method: 'get',
      path: '/admin/partners/:partnerId/screening',
      guard: screen,
      handler: async (ctx) => {
        const today = ctx.deps.clock().toISOString().slice(0, 10);
        await renderScreening(ctx, pathId(ctx.req.params, 'partnerId'), blankForm(today), new Map());
      },
    },
    {
      method: 'post',
      path: '/admin/partners/:partnerId/screening',
      guard: screen,
      handler: async (ctx) => {
        const partnerId = pathId(ctx.req.params, 'partnerId');
        const form = Object.fromEntries(FIELDS.map((f) => [f, one(ctx.form, f)])) as unknown as ScreeningForm;
        // The textarea keeps its lines: `one` trims only the ends.
        let recorded;
        try {
          const input = validateScreening(bodyOf(form), ctx.deps.clock());
          recorded = await ctx.deps.services.partnership.screenings.record(
            portalViewer(ctx),
            partnerId,
            input,
          );
        } catch (error) {
          if (!(error instanceof ProblemError) || error.status !== 400) throw error;
          return renderScreening(ctx, partnerId, form, errorsOf(error));
        }
        // A next review date already past is allowed (recording a lapse), but never by surprise.
        const lapsed =
          recorded.standing.status === 'lapsed'
            ? ': its next review date is past, so it takes part in no exchange'
            : '';
        ctx.redirect(screeningPath(partnerId), `Recorded the screening of ${partnerId}${lapsed}.`);
      },
    },
    {
      method: 'get',
      path: '/partnership/screenings',
      guard: guards.anyOf('partnership:read'),
      handler: async (ctx) => {
        const viewer = portalViewer(ctx);
        const screenings = ctx.deps.services.partnership.screenings;
        const standings = await screenings.standings(viewer);
        if (!standings.length) throw problems.notFound('No partner is in your scope.');
        const histories = await Promise.all(standings.map((s) => screenings.history(viewer, s.partnerId)));
        ctx.render('Partner screenings', screeningsView(histories));
      },
    },
  ];
}
