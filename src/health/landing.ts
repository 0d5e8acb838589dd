import { guards, type RouteSpec } from '../http/routes';

/** Where each kind of client goes from the gateway's root. */
export const PORTAL_HOME = '/portal/';
export const API_BASE = '/api/v1';

/**
 * `GET /`: a browser is sent on to the portal; any other client (curl, an API client asking for JSON or
 * anything) gets a small JSON document naming the API, the portal and the probes. Public, and it says
 * nothing about data.
 */
export function landingRoutes(): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/',
      guard: guards.public,
      handler: (req, res) => {
        // JSON first: a client that accepts anything (*/*, or sends no Accept) is not a browser.
        if (req.accepts(['json', 'html']) === 'html') return void res.redirect(303, PORTAL_HOME);
        res.json({
          name: 'Five Safes Gateway',
          api: API_BASE,
          portal: PORTAL_HOME,
          health: '/healthz',
          readiness: '/readyz',
        });
      },
    },
  ];
}
