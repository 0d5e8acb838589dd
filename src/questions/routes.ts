/** The API of questions to the partnership: ask all providers, read where each stands, answer "no information". */
import { callSetting } from '../http/request-context';
import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator } from '../http/validate';
import { OBJECT_SCHEMA, STATE_SCHEMA } from '../http/openapi';
import requestCreateSchema from '../../schemas/api/request-create.schema.json';
import type { QuestionInput, QuestionService } from './service';
import { QUESTION_TEXT_MAX } from './text';
import { questionRequestView, questionView } from './views';

const CREATE = requestCreateSchema.properties;

/** The question: a request's agreement, purpose, case and identifiers, and a short text for context. */
export const validateQuestion = bodyValidator<QuestionInput>({
  type: 'object',
  additionalProperties: false,
  required: ['agreementId', 'purpose', 'caseRef', 'identifiers', 'text'],
  properties: {
    agreementId: CREATE.agreementId,
    purpose: CREATE.purpose,
    caseRef: CREATE.caseRef,
    // At least one; the agreement's maxRecordsPerRequest bounds them further (the output safe).
    identifiers: { ...CREATE.identifiers, minItems: 1 },
    text: {
      type: 'string',
      minLength: 1,
      maxLength: QUESTION_TEXT_MAX,
      description:
        'Context for the providers, not data: no e-mail addresses, phone numbers or VINs/HINs (refused).',
    },
    recipients: CREATE.recipients,
  },
});

const identityOf = (res: Response): Identity => res.locals.identity as Identity;
const uuidOf = (req: Request, what: string): string => {
  const id = String(req.params.id);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw problems.notFound(`No such ${what}.`);
  return id;
};

export function questionRoutes(service: QuestionService): RouteSpec[] {
  return [
    {
      // Only an analyst puts a question; then each provider's request is decided by the Five Safes.
      method: 'post',
      path: '/questions',
      guard: guards.anyOf('questions:ask'),
      doc: {
        summary: 'Put a question to every provider of an agreement',
        description:
          'One detail request per provider, each decided by the Five Safes; permitted ones land in the providers’ inboxes and lapse with the agreement’s retention.',
        body: validateQuestion.schema,
        responses: {
          201: {
            description:
              'Asked: each provider’s request, its state (awaiting_provider, or denied) and its decision.',
            schema: OBJECT_SCHEMA,
            headers: { Location: 'The question’s URL' },
          },
          403: { description: 'The caller may not ask questions (not an analyst of a requesting partner).' },
        },
      },
      handler: async (req, res) => {
        const input = validateQuestion(req.body);
        const question = await service.ask(identityOf(res), input, callSetting(req));
        // 201 even when the safes denied every provider's request: the question and its decisions are
        // stored and logged, and each request's state says what became of it (a 403 here is the guard's).
        const requests = question.requests.map(questionRequestView);
        res
          .status(201)
          .location(`/api/v1/questions/${question.id}`)
          .json({ questionId: question.id, requests });
      },
    },
    {
      method: 'get',
      path: '/questions/:id',
      guard: guards.anyOf('requests:read-own'),
      doc: {
        summary: 'A question and where each provider’s request stands',
        responses: { 200: { description: 'The question.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        res.json(questionView(await service.get(identityOf(res), uuidOf(req, 'question'))));
      },
    },
    {
      // The decline route's guard: a provider's answer that it holds nothing on what is asked.
      method: 'post',
      path: '/requests/:id/no-information',
      guard: guards.anyOf('requests:answer'),
      doc: {
        summary: 'Answer a request "no information": the provider holds nothing on it',
        responses: {
          200: { description: 'Answered (a decline with reason no-information).', schema: STATE_SCHEMA },
          409: { description: 'The request cannot be answered in its state.' },
        },
      },
      handler: async (req, res) => {
        const request = await service.noInformation(identityOf(res), uuidOf(req, 'request'));
        res.json({ id: request.id, state: request.state });
      },
    },
  ];
}
