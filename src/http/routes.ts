/**
 * Every route is declared with its guard; `mountRoutes` is the only way routes reach the app, so a
 * route without a guard cannot exist. Guards:
 * - public: no token (the health probes, `GET /`, the API's description, the portal's sign-in and assets);
 * - authenticated: a verified token, whatever the roles (the Five Safes decide the rest);
 * - actions: a verified token of an accredited, active user one of whose roles may perform one of
 *   the actions for their partner (casbin).
 */
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { RouteDoc } from './openapi';
import type { PersonLimit } from './rate-limits';
import { refuseIllFormed } from './well-formed';

export type Guard = { kind: 'public' } | { kind: 'authenticated' } | { kind: 'actions'; actions: string[] };

export const guards = {
  public: { kind: 'public' } as Guard,
  authenticated: { kind: 'authenticated' } as Guard,
  anyOf: (...actions: string[]): Guard => ({ kind: 'actions', actions }),
};

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  guard: Guard;
  /** How the body arrives: parsed JSON (default), or the raw stream for uploads the handler maps itself. */
  body?: 'json' | 'stream';
  /** The person's rate limit its calls count against (http/rate-limits.ts): lookups have their own. */
  rateLimit?: PersonLimit;
  handler: (req: Request, res: Response) => Promise<void> | void;
  /** What the API description (http/openapi.ts) says of the route; every API route has one. */
  doc?: RouteDoc;
}

export type GuardMiddleware = (
  guard: Guard,
  route?: Pick<RouteSpec, 'rateLimit'>,
) => (req: Request, res: Response, next: NextFunction) => void;

/** Path parameters and query values must be text the store can keep exactly (well-formed.ts). */
const wellFormedUrl: RequestHandler = (req, _res, next) => {
  refuseIllFormed(req.params, 'path');
  refuseIllFormed(req.query, 'query');
  next();
};

/** So must every string of a JSON body, before any handler sees it (the fast lane does the same). */
const wellFormedBody: RequestHandler = (req, _res, next) => {
  refuseIllFormed(req.body, 'body');
  next();
};

/** A router holding `routes`, each behind the middleware its guard asks for. */
export function mountRoutes(
  routes: RouteSpec[],
  guardMiddleware: GuardMiddleware,
  jsonLimit: string,
): Router {
  const router = express.Router();
  const json = express.json({ limit: jsonLimit, strict: true });
  for (const route of routes) {
    if (!route.guard) throw new Error(`route ${route.method.toUpperCase()} ${route.path} declares no guard`);
    // The guard runs before the body is read: an unauthenticated caller never gets a body parsed.
    const body = route.body === 'stream' ? [] : [json, wellFormedBody];
    const guard = guardMiddleware(route.guard, route);
    router[route.method](
      route.path,
      (req, res, next) => {
        // The pattern with its mount point, for the request log and metrics: by the time an error's
        // answer has gone, express has left this router and req.baseUrl no longer names it.
        res.locals.route = `${req.baseUrl}${route.path}`;
        guard(req, res, next);
      },
      wellFormedUrl,
      ...body,
      async (req, res) => {
        await route.handler(req, res);
      },
    );
  }
  return router;
}
