/**
 * The API's description served: `GET /api/v1/openapi.json` (OpenAPI 3.1) and a reference page at
 * `GET /api/docs`, rendered on the server from the same document. The page runs no script and loads
 * nothing from elsewhere: its CSP allows its own stylesheet and nothing else.
 */
import { html, type Html } from '../portal/html';
import { OBJECT_SCHEMA, openApiDocument, type OpenApiDocument } from './openapi';
import { guards, type RouteSpec } from './routes';

/** Where the routes below are mounted. */
export const API_DOCS_PREFIX = '/api';
export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/api/docs';

export const DOCS_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const STYLESHEET = `
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1f24; margin: 0 auto;
  max-width: 72rem; padding: 1rem 1.5rem 4rem; line-height: 1.5; }
a { color: #0a4d8c; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; background: #f6f8fa; border: 1px solid #d0d7de; padding: 0.5rem; overflow-x: auto; }
section.op { border-top: 1px solid #d0d7de; padding-top: 0.5rem; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase; }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #d0d7de; padding: 0.25rem 0.75rem 0.25rem 0; }
.muted { color: #57606a; }
`;

type Json = Record<string, unknown>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const anchorOf = (method: string, path: string) => `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;

/** A schema: a link to its component, or the schema itself. */
function schemaView(schema: unknown): Html {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  const name = ref?.startsWith('#/components/schemas/')
    ? ref.slice('#/components/schemas/'.length)
    : undefined;
  if (name && !name.includes('/')) return html`<a href="#schema-${name}"><code>${name}</code></a>`;
  return html`<pre>${JSON.stringify(schema, null, 2)}</pre>`;
}

function accessOf(op: Json): string {
  const actions = op['x-actions'] as string[] | undefined;
  if (actions) return `a bearer token of an accredited user whose role may ${actions.join(' or ')}`;
  return (op.security as unknown[]).length ? 'any verified bearer token' : 'public';
}

function contentView(content: Json | undefined): Html {
  if (!content) return html``;
  return html`${Object.entries(content).map(
    ([type, media]) => html`<div><code>${type}</code> ${schemaView((media as Json).schema)}</div>`,
  )}`;
}

function operationView(method: string, path: string, op: Json): Html {
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  const body = op.requestBody as { content: Json } | undefined;
  const responses = op.responses as Record<string, { description: string; content?: Json }>;
  return html`<section class="op" id="${anchorOf(method, path)}">
    <h3><span class="method">${method}</span> <code>${path}</code></h3>
    <p>${op.summary as string}</p>
    ${op.description ? html`<p>${op.description as string}</p>` : ''}
    <p class="muted">Access: ${accessOf(op)}</p>
    ${
      parameters.length
        ? html`<h4>Parameters</h4>
            <table>
              <tr>
                <th>name</th>
                <th>in</th>
                <th>required</th>
                <th>schema</th>
              </tr>
              ${parameters.map(
                (p) =>
                  html`<tr>
                    <td><code>${p.name as string}</code></td>
                    <td>${p.in as string}</td>
                    <td>${p.required ? 'yes' : 'no'}</td>
                    <td><code>${JSON.stringify(p.schema)}</code></td>
                  </tr>`,
              )}
            </table>`
        : ''
    }
    ${
      body
        ? html`<h4>Body</h4>
            ${contentView(body.content)}`
        : ''
    }
    <h4>Responses</h4>
    <table>
      ${Object.entries(responses).map(
        ([status, r]) =>
          html`<tr>
            <td><code>${status}</code></td>
            <td>${r.description}${contentView(r.content)}</td>
          </tr>`,
      )}
    </table>
  </section>`;
}

/** The reference page of `document`. */
export function docsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description: string };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Json })),
  );
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${info.title} reference</title>
        <link rel="stylesheet" href="${DOCS_PATH}/docs.css" />
      </head>
      <body>
        <main>
          <h1>${info.title} <span class="muted">${info.version}</span></h1>
          <p>${info.description}</p>
          <p>
            The machine-readable description:
            <a href="${OPENAPI_PATH}"><code>${OPENAPI_PATH}</code></a> (OpenAPI
            ${document.openapi as string}).
          </p>
          <h2>Routes</h2>
          <ul>
            ${operations.map(
              ({ method, path, op }) =>
                html`<li>
                  <a href="#${anchorOf(method, path)}"
                    ><span class="method">${method}</span> <code>${path}</code></a
                  >
                  ${op.summary as string}
                </li>`,
            )}
          </ul>
          ${operations.map(({ method, path, op }) => operationView(method, path, op))}
          <h2>Schemas</h2>
          ${Object.entries(document.components.schemas).map(
            ([name, schema]) =>
              html`<section id="schema-${name}">
                <h3><code>${name}</code></h3>
                ${schemaView(schema)}
              </section>`,
          )}
        </main>
      </body>
    </html> `;
  return body.text;
}

/**
 * The routes serving the description. They are part of the route table it is generated from, so the
 * document is published once the table is complete (`publish`, at start) and answered as made then.
 */
export function apiDocs(): {
  routes: RouteSpec[];
  publish(routes: { prefix: string; route: RouteSpec }[]): OpenApiDocument;
} {
  let json = '';
  let page = '';
  const routes: RouteSpec[] = [
    {
      method: 'get',
      path: OPENAPI_PATH.slice(API_DOCS_PREFIX.length),
      guard: guards.public,
      handler: (_req, res) => void res.type('application/json').send(json),
      doc: {
        summary: 'This description of the API (OpenAPI 3.1)',
        responses: { 200: { description: 'The OpenAPI document.', schema: OBJECT_SCHEMA } },
      },
    },
    {
      method: 'get',
      path: DOCS_PATH.slice(API_DOCS_PREFIX.length),
      guard: guards.public,
      handler: (_req, res) => {
        res.setHeader('Content-Security-Policy', DOCS_CSP);
        res.type('html').send(page);
      },
    },
    {
      method: 'get',
      path: `${DOCS_PATH.slice(API_DOCS_PREFIX.length)}/docs.css`,
      guard: guards.public,
      handler: (_req, res) => {
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.type('css').send(STYLESHEET);
      },
    },
  ];
  return {
    routes,
    publish: (table) => {
      const document = openApiDocument(table);
      json = JSON.stringify(document);
      page = docsPage(document);
      return document;
    },
  };
}
