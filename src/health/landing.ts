import { guards, type RouteSpec } from '../http/routes';
import { TRANSPARENCY_PATH } from '../transparency/views';

/** Where each kind of client goes from the gateway's root. */
export const PORTAL_HOME = '/portal/';
export const API_BASE = '/api/v1';

/**
 * `GET /`: a browser is sent on to the portal; any other client (curl, an API client asking for JSON or
 * anything) gets a small JSON document naming the API, the portal, the public transparency page and the
 * probes. Public, and it says nothing about data.
 */
export function landingRoutes(): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/',
      guard: guards.public,
      doc: {
        summary: 'The gateway’s root: where to go from here',
        responses: {
          200: {
            description: 'To a client that is not a browser: where the API, the portal and the probes are.',
            schema: {
              type: 'object',
              required: ['name', 'api', 'portal', 'transparency', 'health', 'readiness'],
              properties: {
                name: { type: 'string' },
                api: { type: 'string' },
                portal: { type: 'string' },
                transparency: { type: 'string' },
                health: { type: 'string' },
                readiness: { type: 'string' },
              },
            },
          },
          303: { description: 'To a browser: on to the portal.', headers: { Location: PORTAL_HOME } },
        },
      },
      handler: (req, res) => {
        // JSON first: a client that accepts anything (*/*, or sends no Accept) is not a browser.
        if (req.accepts(['json', 'html']) === 'html') return void res.redirect(303, PORTAL_HOME);
        res.json({
          name: 'Five Safes Gateway',
          api: API_BASE,
          portal: PORTAL_HOME,
          transparency: TRANSPARENCY_PATH,
          health: '/healthz',
          readiness: '/readyz',
        });
      },
    },
  ];
}
