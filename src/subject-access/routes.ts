/**
 * POST /api/v1/audit/subject-access: a DPO's subject access report (GDPR Art. 15), guard
 * `audit:subject-access` (policies/policy.csv: the dpo role of every partner). The body names one
 * identifier, or a name and a date of birth; the answer carries keyed hashes, never the value asked.
 */
import type { Response } from 'express';
import type { Identity } from '../auth/identity';
import { OBJECT_SCHEMA } from '../http/openapi';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator } from '../http/validate';
import { IDENTIFIER_TYPES } from '../records/canonical';
import type { SubjectQuery } from './query';
import type { SubjectAccessService } from './service';

/** Either an identifier, or a name with a date of birth; never both. */
const validateBody = bodyValidator<Partial<SubjectQuery & { identifier: unknown; name: string }>>({
  type: 'object',
  additionalProperties: false,
  properties: {
    identifier: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'value'],
      properties: {
        type: { type: 'string', enum: Object.keys(IDENTIFIER_TYPES) },
        value: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
    dateOfBirth: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
  dependentRequired: { name: ['dateOfBirth'], dateOfBirth: ['name'] },
  minProperties: 1,
});

/** The body as a query: one identifier, or a name with a date of birth (ajv's strict mode has no oneOf of required). */
export function validateSubjectQuery(body: unknown): SubjectQuery {
  const query = validateBody(body);
  if ('identifier' in query && 'name' in query) {
    throw problems.badRequest('Ask about an identifier or about a person, not both.', {
      errors: [{ pointer: '/name', detail: 'must not be given with an identifier' }],
    });
  }
  return query as SubjectQuery;
}

export function subjectAccessRoutes(service: SubjectAccessService): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/audit/subject-access',
      guard: guards.anyOf('audit:subject-access'),
      doc: {
        summary: 'A subject access report (GDPR Art. 15) for one identifier or one person',
        description:
          'Every disclosure and table that included the subject’s records, and every lookup or request ' +
          'that named the identifier, in the DPO’s scope, from the log’s keyed hashes. The report is logged.',
        body: validateBody.schema,
        responses: { 200: { description: 'The report.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res: Response) => {
        const query = validateSubjectQuery(req.body);
        res.json(await service.report(res.locals.identity as Identity, query));
      },
    },
  ];
}
