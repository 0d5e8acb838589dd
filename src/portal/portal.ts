/**
 * The web portal under /portal: server-rendered pages for analysts, responders, DPOs and admins that
 * call the same services as the API, in-process. Every route is a RouteSpec with its guard; the
 * session guard puts the session's bearer token in front of the API's own guard, so the same token
 * verification, accreditation and casbin checks apply. Every POST carries the session's CSRF token.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import { PROJECT_ROOT } from '../config/load';
import { readDemoUsers } from '../accreditations/demo-seed';
import { issueDemoToken } from '../auth/demo-tokens';
import type { Identity } from '../auth/identity';
import { parseSize } from '../http/body-stream';
import { ProblemError, problems } from '../http/problem';
import { isStoreBusy, setProblemHeaders, storeBusyProblem } from '../http/problem-response';
import { createGuardMiddleware, sendGuardProblem } from '../http/guard';
import { guards, type GuardMiddleware, type RouteSpec } from '../http/routes';
import type { Role } from '../policy/types';
import type { Person } from '../records/accreditation';
import type { Store } from '../store/port';
import type { PortalDeps, PortalRoute } from './context';
import { readForm, type FormData } from './forms';
import { page, type PageUser } from './layout';
import { csrfMatches, SessionStore, setSessionCookie, type Session } from './session';
import { createRelyingParty, type SignInOption } from './oidc/relying-party';
import { PendingSignIns, setPendingCookie } from './oidc/pending';
import { errorView, homeView, signedInView, signInView } from './portal-views';
import { partnershipHome, reportPageRoutes } from './pages/reports';
import { partnershipHomeView } from './pages/reports-views';
import { analystRoutes } from './pages/analyst';
import { responderRoutes } from './pages/responder';
import { questionRoutes } from './pages/questions';
import { tableRoutes } from './pages/tables';
import { dpoRoutes } from './pages/dpo';
import { subjectAccessRoutes } from './pages/subject-access';
import { adminRoutes } from './pages/admin';
import { agreementPageRoutes } from './pages/partnership';
import { screeningRoutes } from './pages/screening';

/** The portal's Content-Security-Policy; forms may also go to `formOrigin` (a provider's sign-out). */
export const cspAllowingForms = (formOrigin?: string) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    formOrigin ? `form-action 'self' ${formOrigin}` : "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

export const CSP = cspAllowingForms();

const ASSETS: Record<string, string> = {
  'portal.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export const ASSET_DIR = path.join(PROJECT_ROOT, 'src', 'portal', 'assets');

const wantsHtml = (req: Request) => (req.get('accept') ?? '').includes('text/html');

export interface Portal {
  /** Runs before the portal's routes: its own Content-Security-Policy. */
  middleware: RequestHandler;
  guard: GuardMiddleware;
  routes: RouteSpec[];
  sessions: SessionStore;
}

export function createPortal(deps: PortalDeps): Portal {
  const sessions = new SessionStore(deps.store.portalSessions);
  const pendingSignIns = new PendingSignIns(deps.store.portalSessions);
  const relyingParty = createRelyingParty({
    bundle: deps.bundle(),
    verifier: deps.verifier,
    acceptDemoIssuers: deps.demo?.enabled ?? false,
  });
  /** Where the provider sends the browser back to: the portal's public origin, or this request's. */
  const originOf = (req: Request) => deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? ''}`;
  const uploadBytes = parseSize(deps.uploadLimit);
  const setCookie = (req: Request, res: Response, session: Session | undefined) =>
    setSessionCookie(req, res, session, deps.secureCookie);

  const middleware: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };

  const errorPage = (res: Response, status: number, detail: string, user?: PageUser) => {
    res
      .status(status)
      .type('html')
      .send(errorView(detail, status, user));
  };

  /**
   * The API's guard with the session's token in place of a bearer token: one set of checks for both. The
   * token is verified again on every request, as what it is (the ID token of the session's sign-in, or
   * an API token pasted at sign-in), so a session ends when its token expires.
   */
  const apiGuard = createGuardMiddleware({
    verifier: deps.verifier,
    store: deps.store,
    bundle: deps.bundle,
    clock: deps.clock,
    rateLimits: deps.rateLimits,
    onProblem: (req, res, problem) => {
      const session = res.locals.session as Session | undefined;
      // Without a session (a caller that wants no page): the API's own answer.
      if (!session?.identity) return sendGuardProblem(res, problem);
      if (problem.status === 401) {
        setCookie(req, res, undefined);
        res.redirect(303, '/portal/sign-in');
        // The cookie is cleared at once; the stored session goes as soon as the store can.
        sessions.destroy(session).catch(() => undefined);
        return;
      }
      // A signed-in browser gets a page where the API answers problem+json.
      setProblemHeaders(res, problem);
      errorPage(res, problem.status, problem.detail ?? 'Refused.', {
        userId: session.identity.userId,
        displayName: session.identity.userId,
        partnerId: session.identity.partnerId,
        roles: [],
        csrf: session.csrf,
      });
    },
    authenticate: async (_req, res) => {
      const session = res.locals.session as Session | undefined;
      if (!session?.token) throw problems.unauthenticated('Sign in to the portal first.');
      const { signIn } = session;
      return deps.verifier.verify(
        session.token,
        signIn ? { kind: 'id', clientId: signIn.clientId } : undefined,
      );
    },
  });

  /** Session first, then the API's guard with the session's token. */
  const guard: GuardMiddleware = (g, route) => {
    const api = apiGuard(g, route);
    return async (req, res, next) => {
      if (g.kind === 'public') return next();
      // The portal is reached with its session only; a bearer token of the caller's own counts for nothing.
      delete req.headers.authorization;
      const session = await sessions.get(req);
      if (!session?.identity || !session.token) {
        if (wantsHtml(req)) return void res.redirect(303, '/portal/sign-in');
        return api(req, res, next);
      }
      res.locals.session = session;
      // Signing out of a provider's session is a form sent on to the provider's sign-out page.
      const providerOrigin = session.signIn && relyingParty.endSessionOrigin(session.signIn.iss);
      if (providerOrigin) res.setHeader('Content-Security-Policy', cspAllowingForms(providerOrigin));
      api(req, res, next);
    };
  };

  async function pageUser(session: Session, res: Response): Promise<PageUser> {
    const identity = session.identity!;
    const entry =
      (res.locals.accreditation as Awaited<ReturnType<Store['accreditations']['get']>>) ??
      (await deps.store.accreditations.get(identity.partnerId, identity.userId));
    const usable = entry && entry.partnerId === identity.partnerId && !entry.suspended;
    return {
      userId: identity.userId,
      displayName: entry?.displayName ?? identity.userId,
      partnerId: identity.partnerId,
      roles: usable ? (entry.roles as Role[]) : [],
      csrf: session.csrf,
    };
  }

  function wrap(route: PortalRoute): RouteSpec {
    return {
      method: route.method,
      path: route.path,
      guard: route.guard,
      body: route.method === 'post' ? 'stream' : undefined,
      handler: async (req, res) => {
        const session = res.locals.session as Session;
        let user: PageUser | undefined;
        try {
          user = await pageUser(session, res);
          const form: FormData = route.method === 'post' ? await readForm(req, uploadBytes) : { fields: {} };
          if (route.method === 'post' && !csrfMatches(session, form.fields._csrf?.[0])) {
            throw problems.forbidden(
              'The form is missing its security token or it has expired. Reload the page and try again.',
            );
          }
          const pageUserNow = user;
          await route.handler({
            req,
            res,
            session,
            identity: res.locals.identity as Identity,
            user: pageUserNow,
            form,
            deps,
            render: (title, body, status = 200) => {
              const flash = session.flash;
              delete session.flash;
              res
                .status(status)
                .type('html')
                .send(page(title, pageUserNow, body, flash));
            },
            redirect: (to, flash) => {
              if (flash) session.flash = flash;
              res.redirect(303, to);
            },
          });
        } catch (caught) {
          // A store busy past its timeout is a page saying so (503, Retry-After), like the API's problem.
          const error = isStoreBusy(caught)
            ? storeBusyProblem(caught, deps.logger, res.locals.requestId as string | undefined)
            : caught;
          if (!(error instanceof ProblemError)) throw error;
          if (res.headersSent) return void res.destroy();
          setProblemHeaders(res, error);
          const errors = (error.extensions.errors as { pointer: string; detail: string }[] | undefined) ?? [];
          const detail = [
            error.detail ?? error.title,
            ...errors.map((e) => `${e.pointer || '(form)'}: ${e.detail}`),
          ].join(' ');
          errorPage(res, error.status, detail, user);
        }
      },
    };
  }

  const publicRoutes: RouteSpec[] = [
    {
      method: 'get',
      path: '/assets/:name',
      guard: guards.public,
      handler: (req, res) => {
        const name = String(req.params.name);
        const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
        if (!type) return errorPage(res, 404, 'No such file.');
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.type(type).send(fs.readFileSync(path.join(ASSET_DIR, name)));
      },
    },
    {
      method: 'get',
      path: '/sign-in',
      guard: guards.public,
      handler: async (req, res) => {
        const session = (await sessions.get(req)) ?? (await sessions.create());
        if (session.identity) return void res.redirect(303, '/portal/');
        setCookie(req, res, session);
        res.type('html').send(signInPage(session, deps, relyingParty.options()));
      },
    },
    {
      // The partner-specific link: off to the partner's identity provider, with PKCE, state and nonce.
      method: 'get',
      path: '/sign-in/oidc/:partnerId',
      guard: guards.public,
      handler: async (req, res) => {
        try {
          const { url, pending } = await relyingParty.start(
            String(req.params.partnerId),
            `${originOf(req)}/portal/oidc/callback`,
          );
          setPendingCookie(req, res, await pendingSignIns.begin(pending), deps.secureCookie ?? 'auto');
          res.redirect(303, url);
        } catch (error) {
          if (!(error instanceof ProblemError)) throw error;
          setProblemHeaders(res, error);
          errorPage(res, error.status, error.detail ?? error.title);
        }
      },
    },
    {
      // The identity provider's answer: the code is exchanged once, for this browser's pending sign-in.
      method: 'get',
      path: '/oidc/callback',
      guard: guards.public,
      handler: async (req, res) => {
        const pending = await pendingSignIns.take(req);
        setPendingCookie(req, res, undefined, deps.secureCookie ?? 'auto');
        const anonymous = (await sessions.get(req)) ?? (await sessions.create());
        // A refusal shows the sign-in page again, with the anonymous session its forms need.
        const fail = (status: number, message: string) => {
          setCookie(req, res, anonymous);
          res
            .status(status)
            .type('html')
            .send(signInPage(anonymous, deps, relyingParty.options(), message));
        };
        if (!pending) return fail(400, 'This sign-in has expired or was already used. Start again.');
        const callbackUrl = new URL(pending.redirectUri);
        callbackUrl.search = new URL(req.originalUrl, 'http://portal.invalid').search;
        try {
          const { identity, idToken, signIn } = await relyingParty.finish(pending, callbackUrl);
          await sessions.destroy(anonymous);
          const session = await sessions.create({
            identity,
            token: idToken,
            signIn,
            expiresAt: identity.expiresAt * 1000,
          });
          setCookie(req, res, session);
          // Not a redirect: the provider's answer is a navigation another site started, and a browser
          // sends no SameSite=Strict cookie along its redirects; a page of our own that moves on does.
          res.type('html').send(signedInView());
        } catch (error) {
          if (!(error instanceof ProblemError)) throw error;
          deps.logger.warn('portal sign-in refused', { partner: pending.partnerId, status: error.status });
          setProblemHeaders(res, error);
          fail(error.status, error.detail ?? error.title);
        }
      },
    },
    {
      method: 'post',
      path: '/sign-in',
      guard: guards.public,
      body: 'stream',
      handler: async (req, res) => {
        const anonymous = await sessions.get(req);
        const form = await readForm(req, 64 * 1024).catch(() => ({ fields: {} }) as FormData);
        if (!anonymous || !csrfMatches(anonymous, form.fields._csrf?.[0])) {
          return errorPage(
            res,
            403,
            'The sign-in form has expired or lost its security token. Reload it and try again.',
          );
        }
        const fail = (message: string) =>
          void res
            .status(401)
            .type('html')
            .send(signInPage(anonymous, deps, relyingParty.options(), message));
        let token = (form.fields.token?.[0] ?? '').trim();
        if (token && deps.tokenSignIn === false)
          return fail('Signing in with a pasted token is turned off here.');
        const demoUser = (form.fields.user?.[0] ?? '').trim();
        const demoPartner = (form.fields.partner?.[0] ?? '').trim();
        try {
          if (!token && demoUser && deps.demo?.enabled)
            token = await demoToken(deps, { partnerId: demoPartner, userId: demoUser });
          if (!token) return fail('Paste a token from your identity provider.');
          const identity = await deps.verifier.verify(token);
          await sessions.destroy(anonymous);
          // A new id on sign-in: a session id known before cannot be carried into the signed-in session.
          const session = await sessions.create({ identity, token, expiresAt: identity.expiresAt * 1000 });
          setCookie(req, res, session);
          return res.redirect(303, '/portal/');
        } catch (error) {
          if (error instanceof ProblemError) return fail(error.detail ?? 'The token could not be verified.');
          if (error instanceof Error && demoUser) return fail('That demo user cannot sign in.');
          throw error;
        }
      },
    },
  ];

  const portalRoutes: PortalRoute[] = [
    {
      method: 'get',
      path: '/',
      guard: guards.authenticated,
      handler: async (ctx) =>
        ctx.render(
          `Welcome, ${ctx.user.displayName}`,
          homeView(ctx.user, partnershipHomeView(await partnershipHome(ctx))),
        ),
    },
    {
      method: 'post',
      path: '/sign-out',
      guard: guards.authenticated,
      handler: async (ctx) => {
        await sessions.destroy(ctx.session);
        setCookie(ctx.req, ctx.res, undefined);
        // Signed in at a provider: signed out there too, where it offers that (RP-initiated logout).
        const { signIn, token } = ctx.session;
        const atProvider =
          signIn &&
          token &&
          (await relyingParty.endSessionUrl(signIn, token, `${originOf(ctx.req)}/portal/sign-in`));
        ctx.res.redirect(303, atProvider ? atProvider.href : '/portal/sign-in');
      },
    },
    ...analystRoutes(),
    ...tableRoutes(),
    ...responderRoutes(),
    ...questionRoutes(),
    ...dpoRoutes(),
    ...subjectAccessRoutes(),
    ...adminRoutes(),
    ...screeningRoutes(),
    ...agreementPageRoutes(),
    ...reportPageRoutes(),
  ];

  return { middleware, guard, routes: [...publicRoutes, ...portalRoutes.map(wrap)], sessions };
}

/** A demo user is a person too: found by (partner, user). */
async function demoToken(deps: PortalDeps, person: Person): Promise<string> {
  const users = readDemoUsers(deps.demo!.accreditations);
  const user = users.find((u) => u.partnerId === person.partnerId && u.userId === person.userId);
  const partner = user && deps.bundle().partners.get(user.partnerId);
  if (!user || !partner) throw problems.unauthenticated('No such demo user.');
  return issueDemoToken({
    userId: user.userId,
    partner,
    bundleDir: deps.bundle().dir,
    audience: deps.audience ?? 'five-safes-gateway',
    ttlSeconds: 8 * 60 * 60,
    mfa: true,
  });
}

/** The sign-in page's choices: the providers, the demo users in demo mode, a pasted token if allowed. */
function signInPage(session: Session, deps: PortalDeps, providers: SignInOption[], message?: string): string {
  return signInView({
    csrf: session.csrf,
    providers,
    demoUsers: deps.demo?.enabled ? readDemoUsers(deps.demo.accreditations) : [],
    tokenSignIn: deps.tokenSignIn !== false,
    message,
  });
}
