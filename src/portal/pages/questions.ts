/**
 * Questions to the partnership in the portal: the analyst asks every provider of an agreement at once
 * and follows each one's answer; a responder answers "no information". The same services as the API.
 */
import { callSetting } from '../../http/request-context';
import { guards } from '../../http/routes';
import { validateQuestion } from '../../questions/routes';
import { one } from '../forms';
import type { Ctx, PortalRoute } from '../context';
import { agreementsFor, caseHint, parseIdentifiers, queryParam } from './analyst';
import { idOf } from './request-facts';
import { newQuestionView, questionPageView, type NewQuestionStep } from './questions-views';

export function questionRoutes(): PortalRoute[] {
  return [
    {
      method: 'get',
      path: '/questions/new',
      guard: guards.anyOf('questions:ask'),
      handler: async (ctx) =>
        ctx.render('Ask all providers', newQuestionView(loadNewQuestion(ctx), ctx.user.csrf)),
    },
    {
      method: 'post',
      path: '/questions',
      guard: guards.anyOf('questions:ask'),
      handler: async (ctx) => {
        const input = validateQuestion({
          agreementId: one(ctx.form, 'agreementId'),
          identifiers: parseIdentifiers(one(ctx.form, 'identifiers')),
          text: one(ctx.form, 'text'),
          purpose: one(ctx.form, 'purpose'),
          caseRef: one(ctx.form, 'caseRef'),
        });
        const question = await ctx.deps.services.questions.ask(ctx.identity, input, callSetting(ctx.req));
        const reached = question.requests.filter((r) => r.state !== 'denied').length;
        ctx.redirect(
          `/portal/questions/${question.id}`,
          `Question sent: ${reached} of ${question.requests.length} provider(s) have it in their inbox.`,
        );
      },
    },
    {
      method: 'get',
      path: '/questions/:id',
      guard: guards.anyOf('requests:read-own'),
      handler: async (ctx) => {
        const question = await ctx.deps.services.questions.get(ctx.identity, idOf(ctx));
        ctx.render('Question to all providers', questionPageView(question));
      },
    },
    {
      method: 'post',
      path: '/requests/:id/no-information',
      guard: guards.anyOf('requests:answer'),
      handler: async (ctx) => {
        const request = await ctx.deps.services.questions.noInformation(ctx.identity, idOf(ctx));
        ctx.redirect(`/portal/requests/${request.id}`, 'Answered: no information.');
      },
    },
  ];
}

/** The agreement chosen (a GET step), with its case-reference form. */
function loadNewQuestion(ctx: Ctx): NewQuestionStep {
  const agreements = agreementsFor(ctx);
  const agreement = agreements.find((a) => a.id === queryParam(ctx, 'agreement'));
  if (!agreement) return { agreements };
  return { agreements, agreement, caseHint: caseHint(ctx, agreement.id) };
}
