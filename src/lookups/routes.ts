import type { Response } from 'express';
import { callSetting } from '../http/request-context';
import type { Identity } from '../auth/identity';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator } from '../http/validate';
import { deniedProblem } from '../requests/denials';
import lookupSchema from '../../schemas/api/lookup.schema.json';
import lookupAnswerSchema from '../../schemas/api/lookup-answer.schema.json';
import type { LookupInput, LookupService } from './service';

const validateLookup = bodyValidator<LookupInput>(lookupSchema);

/** Where the lookup route is mounted, and its path there (the fast lane serves exactly this). */
export const LOOKUP_PREFIX = '/api/v1';
export const LOOKUP_PATH = '/lookups';

/**
 * A lookup's answer, whatever serves the route (express, or the fast lane): the body validated, the
 * lookup made (a full Five Safes decision, people safe included), a denial thrown as a 403 problem.
 * `hits` as before (each names its identifier by `query`); `results`: every identifier in request
 * order, normalised, `hit` / `no-hit` / `invalid` (with the validator's errors), warnings carried.
 */
export async function answerLookup(
  service: LookupService,
  identity: Identity,
  body: unknown,
  meta: { sourceIp: string; tls: boolean },
): Promise<{ id: string; decision: unknown; hits: unknown[]; results: unknown[] }> {
  const result = await service.lookup(identity, validateLookup(body), meta);
  if (result.decision.outcome === 'deny') {
    throw deniedProblem('lookup-denied', 'Lookup denied by the Five Safes', result.decision, {
      lookupId: result.id,
    });
  }
  return { id: result.id, decision: result.decision, hits: result.hits, results: result.results };
}

export function lookupRoutes(service: LookupService): RouteSpec[] {
  return [
    {
      method: 'post',
      path: LOOKUP_PATH,
      guard: guards.authenticated,
      rateLimit: 'lookups',
      handler: async (req, res: Response) => {
        res.json(await answerLookup(service, res.locals.identity as Identity, req.body, callSetting(req)));
      },
      doc: {
        summary: 'Hit/no-hit lookup of identifiers across the providers of an agreement',
        description:
          'Decided by the Five Safes (people included) and logged. Hits name provider, object type and record reference only.',
        body: validateLookup.schema,
        responses: {
          200: { description: 'Permitted: hits and each identifier’s result.', schema: lookupAnswerSchema },
          403: { description: 'Denied by the Five Safes: `decision` and `lookupId` say why.' },
        },
      },
    },
  ];
}
