/**
 * The transparency report, public (no sign-in): `GET /api/v1/transparency` (JSON) and the page at
 * `GET /transparency`. The page sits outside the portal, like the API's reference page: every portal
 * route stays behind the portal's session guard with no exception to keep. Both count against the
 * per-address rate limit, taken before the report is read.
 */
import { DOCS_CSP } from '../http/api-docs';
import type { Request, Response } from 'express';
import type { RateLimits } from '../http/rate-limits';
import { guards, type RouteSpec } from '../http/routes';
import type { TransparencyService } from './service';
import { TRANSPARENCY_CSS, TRANSPARENCY_PATH, transparencyPage } from './views';

/** The page's own CSP, the API reference page's: its stylesheet and nothing else; no script, no inline style. */
export const TRANSPARENCY_CSP = DOCS_CSP;

const STYLESHEET = `
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1f24; margin: 0 auto;
  max-width: 72rem; padding: 1rem 1.5rem 4rem; line-height: 1.5; }
a { color: #0a4d8c; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.9em; }
section.agreement { border-top: 2px solid #d0d7de; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; font-weight: 600; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #d0d7de; padding: 0.25rem 0.75rem 0.25rem 0; }
dl.safes dt { font-weight: 700; }
dl.safes dd { margin: 0 0 0.5rem 1rem; }
.muted { color: #57606a; }
@media print { a { color: inherit; } section.agreement { break-inside: avoid-page; } }
`;

const COUNT_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      required: ['value', 'roundedTo'],
      properties: { value: { type: 'integer' }, roundedTo: { type: 'integer' } },
    },
    { type: 'object', required: ['fewerThan'], properties: { fewerThan: { type: 'integer' } } },
  ],
};

const REPORT_SCHEMA = {
  type: 'object',
  required: ['generatedAt', 'inForce', 'notInForce'],
  properties: {
    generatedAt: { type: 'string', format: 'date-time' },
    inForce: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'version', 'status', 'parties', 'legalBasis', 'safeguards', 'activity'],
        properties: {
          status: { const: 'in-force' },
          activity: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                quarter: { type: 'string' },
                requests: COUNT_SCHEMA,
                lookups: COUNT_SCHEMA,
                disclosures: COUNT_SCHEMA,
                denials: COUNT_SCHEMA,
              },
            },
          },
        },
      },
    },
    notInForce: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'version', 'status', 'reasons'],
        properties: { status: { const: 'not-in-force' }, reasons: { type: 'array' } },
      },
    },
  },
};

type Handler = (req: Request, res: Response) => Promise<void> | void;

/** The handler within the caller's per-address limit (a 429 problem once it is used up). */
const withinAddressLimit =
  (limits: RateLimits | undefined, handler: Handler): Handler =>
  async (req, res) => {
    await limits?.admitAddress(req.ip ?? '');
    await handler(req, res);
  };

/** The JSON report, for the API's prefix (/api/v1). */
export function transparencyApiRoutes(service: TransparencyService, limits?: RateLimits): RouteSpec[] {
  return [
    {
      method: 'get',
      path: TRANSPARENCY_PATH,
      guard: guards.public,
      doc: {
        summary: 'The agreements in force, their safeguards and activity (public)',
        description:
          'Parties, purposes, legal basis, categories of data, the five safes as configured, retention, each ' +
          'party’s DPO, and activity per quarter through the agreement’s disclosure control; agreements not ' +
          'in force with the reason only.',
        responses: { 200: { description: 'The transparency report.', schema: REPORT_SCHEMA } },
      },
      handler: withinAddressLimit(limits, async (_req, res) => void res.json(await service.report())),
    },
  ];
}

/** The page and its stylesheet, at the root. */
export function transparencyPageRoutes(service: TransparencyService, limits?: RateLimits): RouteSpec[] {
  return [
    {
      method: 'get',
      path: TRANSPARENCY_PATH,
      guard: guards.public,
      doc: {
        summary: 'The transparency report as a page (public, no script)',
        responses: { 200: { description: 'The page.', types: ['text/html'] } },
      },
      handler: withinAddressLimit(limits, async (_req, res) => {
        const page = transparencyPage(await service.report());
        res.setHeader('Content-Security-Policy', TRANSPARENCY_CSP);
        res.type('html').send(page);
      }),
    },
    {
      method: 'get',
      path: TRANSPARENCY_CSS,
      guard: guards.public,
      doc: {
        summary: 'The transparency page’s stylesheet',
        responses: { 200: { description: 'The stylesheet.', types: ['text/css'] } },
      },
      handler: (_req, res) => {
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.type('css').send(STYLESHEET);
      },
    },
  ];
}
