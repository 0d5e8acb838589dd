import type { Response } from 'express';
import type { Identity } from '../auth/identity';
import { ProblemError } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import { bodyValidator } from '../http/validate';
import { deniedDetail } from '../requests/routes';
import lookupSchema from '../../schemas/api/lookup.schema.json';
import type { LookupInput, LookupService } from './service';

const validateLookup = bodyValidator<LookupInput>(lookupSchema);

export function lookupRoutes(service: LookupService): RouteSpec[] {
  return [
    {
      // Like a detail request, every lookup gets a full Five Safes decision, people safe included.
      method: 'post',
      path: '/lookups',
      guard: guards.authenticated,
      handler: async (req, res: Response) => {
        const result = await service.lookup(res.locals.identity as Identity, validateLookup(req.body), {
          sourceIp: req.ip ?? '',
          tls: req.secure,
        });
        if (result.decision.outcome === 'deny') {
          throw new ProblemError({
            code: 'lookup-denied',
            title: 'Lookup denied by the Five Safes',
            status: 403,
            detail: deniedDetail(result.decision.safes),
            extensions: { lookupId: result.id, decision: result.decision },
          });
        }
        res.json({ id: result.id, decision: result.decision, hits: result.hits });
      },
    },
  ];
}
