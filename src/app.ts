/** createApp(deps): express wiring only. Services hold the logic; the store is reached through its port. */
import { PartnershipRegistry, snapshotMaxAgeMs } from './partnership/registry';
import { partnershipRoutes } from './partnership/routes';
import { PartnershipService } from './partnership/service';
import { OutcomeService } from './partnership/outcomes';
import { ReportService } from './partnership/report';
import { reportRoutes } from './partnership/report-routes';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { accreditationRoutes } from './accreditations/routes';
import type { Checkpointer } from './audit/checkpointer';
import { auditRoutes } from './audit/routes';
import { AuditService } from './audit/service';
import { AccreditationService } from './accreditations/service';
import type { TokenVerifier } from './auth/verifier';
import type { GatewayConfig } from './config/load';
import type { Secrets } from './config/secrets';
import { datasetRoutes } from './datasets/routes';
import { DatasetService } from './datasets/service';
import { healthRoutes } from './health/routes';
import { landingRoutes } from './health/landing';
import { API_DOCS_PREFIX, apiDocs } from './http/api-docs';
import { createGuardMiddleware } from './http/guard';
import { createRateLimits, signInLimits } from './http/rate-limits';
import type { Logger } from './http/logger';
import { createLookupFastLane } from './lookups/fast-lane';
import { LOOKUP_PREFIX, lookupRoutes } from './lookups/routes';
import { LookupService } from './lookups/service';
import { errorHandler, notFoundHandler } from './http/problem-response';
import { requestContext } from './http/request-context';
import { clientErrorHandler, type ClientErrorHandler } from './http/server';
import { fixedHeaders, recordHeaders, type HeaderStep } from './http/static-headers';
import { mountRoutes, type RouteSpec } from './http/routes';
import type { GatewayMetrics } from './metrics/gateway-metrics';
import type { Bundle } from './policy/types';
import { requestRoutes } from './requests/routes';
import { SubjectAccessService } from './subject-access/service';
import { subjectAccessRoutes } from './subject-access/routes';
import { RequestService } from './requests/service';
import { questionRoutes } from './questions/routes';
import { QuestionService } from './questions/service';
import { createPortal } from './portal/portal';
import { transparencyApiRoutes, transparencyPageRoutes } from './transparency/routes';
import { TransparencyService } from './transparency/service';
import type { Store } from './store/port';

export interface AppDeps {
  /** The partnership's records (src/partnership); made here when not given. */
  partnership?: PartnershipRegistry;
  config: Pick<GatewayConfig, 'server'> &
    Partial<Pick<GatewayConfig, 'demo' | 'auth' | 'portal' | 'rateLimits'>>;
  bundle: () => Bundle;
  store: Store;
  verifier: TokenVerifier;
  secrets: Secrets;
  logger: Logger;
  clock: () => Date;
  /** Signs checkpoints of the disclosure log (receipts and proofs need one covering their entry). */
  checkpointer: Checkpointer;
  /** Prometheus metrics, when kept (config `metrics`): requests, decisions, lookups. */
  metrics?: GatewayMetrics;
}

export interface Gateway {
  app: Express;
  /** The server's request handler: the lookup fast lane (lookups/fast-lane.ts) in front of `app`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The server's answer to what node cannot parse as a request (http/server.ts createGatewayServer). */
  clientError: ClientErrorHandler;
  requests: RequestService;
  audit: AuditService;
  datasets: DatasetService;
  /** Every route with its guard, for review and for the test that none is unguarded. */
  routes: { prefix: string; route: RouteSpec }[];
  /** The partnership's records: screenings, acceptances, outcomes. */
  partnership: PartnershipRegistry;
}

export function createApp(deps: AppDeps): Gateway {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.server.trustProxy === false ? false : deps.config.server.trustProxy);
  app.set('query parser', 'simple');
  // Every answer is Cache-Control: no-store, so an ETag (a SHA-1 of each body) would never be used.
  app.set('etag', false);
  app.use(requestContext(deps.logger, deps.metrics));
  // helmet's headers do not depend on the request: computed once, set as they are on every response.
  const headers: HeaderStep[] = [
    ...recordHeaders(
      helmet({
        contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      }),
    ),
    { set: 'Cache-Control', value: 'no-store' },
  ];
  app.use(fixedHeaders(headers));

  const partnership =
    deps.partnership ??
    new PartnershipRegistry(deps.store, deps.clock, snapshotMaxAgeMs(deps.store), deps.secrets.identifierKey);
  deps = { ...deps, partnership };
  const audit = new AuditService(deps);
  const requests = new RequestService({ ...deps, partnership, receipts: audit });
  const questions = new QuestionService({ ...deps, requests });
  const accreditations = new AccreditationService(deps);
  const datasets = new DatasetService(deps);
  const lookups = new LookupService({ ...deps, partnership });
  const subjectAccess = new SubjectAccessService({ ...deps, audit });
  const partnershipService = new PartnershipService({
    ...deps,
    partnership,
    scopeOf: (i) => audit.scopeOf(i),
  });
  const outcomes = new OutcomeService({ ...deps, partnership });
  const reports = new ReportService({ ...deps, partnership });
  const rateLimits = createRateLimits(deps.config.rateLimits, deps.store);
  const transparency = new TransparencyService({ ...deps, partnership });
  const guard = createGuardMiddleware({ ...deps, rateLimits });
  const portal = createPortal({
    bundle: deps.bundle,
    store: deps.store,
    verifier: deps.verifier,
    clock: deps.clock,
    demo: deps.config.demo,
    audience: deps.config.auth?.audience,
    uploadLimit: deps.config.server.uploadLimit,
    secureCookie: deps.config.portal?.secureCookie,
    publicUrl: deps.config.portal?.publicUrl,
    tokenSignIn: deps.config.portal?.tokenSignIn ?? true,
    rateLimits,
    logger: deps.logger,
    services: {
      requests,
      lookups,
      datasets,
      accreditations,
      audit,
      subjectAccess,
      questions,
      partnership: partnershipService,
      outcomes,
      reports,
    },
  });
  const lookupRoute = lookupRoutes(lookups);
  const docs = apiDocs();
  const groups: { prefix: string; routes: RouteSpec[] }[] = [
    // The root: browsers on to the portal, API clients to where the API is.
    { prefix: '', routes: landingRoutes() },
    { prefix: '', routes: healthRoutes(deps.store, deps.bundle, () => deps.verifier.issuerStatus?.() ?? {}) },
    // The public transparency page: outside the portal, so the portal's session guard has no exception.
    { prefix: '', routes: transparencyPageRoutes(transparency, rateLimits) },
    {
      prefix: LOOKUP_PREFIX,
      routes: [
        // The hot route first: express tries a router's routes in order, for every request.
        ...lookupRoute,
        ...requestRoutes(requests, deps.bundle, deps.config.server.uploadLimit),
        ...questionRoutes(questions),
        ...datasetRoutes(datasets, deps.config.server.datasetUploadLimit ?? deps.config.server.uploadLimit),
        ...accreditationRoutes(accreditations),
        ...auditRoutes(audit),
        ...subjectAccessRoutes(subjectAccess),
        ...partnershipRoutes(partnershipService, deps.clock),
        ...transparencyApiRoutes(transparency, rateLimits),
        ...reportRoutes(outcomes, reports),
      ],
    },
    // The API's description (OpenAPI) and its reference page, generated from this table below.
    { prefix: API_DOCS_PREFIX, routes: docs.routes },
    // The web portal: its own CSP, a session guard in front of the same API guard.
    { prefix: '/portal', routes: portal.routes },
  ];
  // A failed token sign-in is a failed authentication.
  if (rateLimits) {
    app.post('/portal/sign-in', signInLimits(rateLimits));
    // The OpenID Connect sign-in: each start keeps a pending sign-in in the store, each refused answer
    // is a failed authentication.
    app.get(['/portal/sign-in/oidc/:partnerId', '/portal/oidc/callback'], signInLimits(rateLimits));
  }
  docs.publish(groups.flatMap((g) => g.routes.map((route) => ({ prefix: g.prefix, route }))));
  app.use('/portal', portal.middleware);
  for (const group of groups) {
    const groupGuard = group.prefix === '/portal' ? portal.guard : guard;
    app.use(group.prefix || '/', mountRoutes(group.routes, groupGuard, deps.config.server.bodyLimit));
  }
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));

  const fastLane = createLookupFastLane({
    route: lookupRoute[0],
    service: lookups,
    verifier: deps.verifier,
    logger: deps.logger,
    headers,
    bodyLimit: deps.config.server.bodyLimit,
    trust: app.get('trust proxy fn') as (address: string, hop: number) => boolean,
    metrics: deps.metrics,
    rateLimits,
  });

  return {
    app,
    handler: (req, res) => fastLane(req, res, () => void app(req, res)),
    clientError: clientErrorHandler({ headers, logger: deps.logger }),
    requests,
    audit,
    datasets,
    partnership,
    routes: groups.flatMap((g) => g.routes.map((route) => ({ prefix: g.prefix, route }))),
  };
}
