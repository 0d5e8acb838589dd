/**
 * The API's OpenAPI 3.1 description, generated once from the route table: each RouteSpec's `doc` gives
 * its summary, the schemas its validators check bodies and queries with (the same objects, so the
 * description cannot drift from what is enforced) and its answers; the guard gives security and the
 * refusals every route of its kind can answer (problem+json, RFC 9457).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/load';
import { WWW_AUTHENTICATE } from './guard';
import type { RouteSpec } from './routes';
import decisionSchema from '../../schemas/api/decision.schema.json';
import problemSchema from '../../schemas/api/problem.schema.json';
import recordSchema from '../../schemas/sis/record.schema.json';

export interface ResponseDoc {
  description: string;
  /** The body's JSON schema; a 4xx/5xx without one is a Problem. */
  schema?: object;
  /** Media types of a body that is not JSON (exports). */
  types?: string[];
  headers?: Record<string, string>;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  /** The JSON body: the schema the route's validator checks it with (BodyValidator.schema). */
  body?: object;
  /** A streamed upload instead: its media types. */
  upload?: string[];
  /** Query parameters: name → schema (the route's query validator's), and those required. */
  query?: Record<string, object>;
  requiredQuery?: string[];
  /** The answers of this route; the guard's and the body's refusals are added (`standardProblems`). */
  responses: Record<number, ResponseDoc>;
}

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};
type Operation = Record<string, unknown> & { responses: Record<string, unknown> };

/** Schemas only ever reached by a $ref (the SIS record an answer holds), known by their $id. */
const REFERENCED_ONLY: object[] = [recordSchema, decisionSchema];

/** Answers documented by shape only. */
export const OBJECT_SCHEMA = { type: 'object' };
export const ITEMS_SCHEMA = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { type: 'object' } } },
};
/** A request's new state. */
export const STATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'state'],
  properties: { id: { type: 'string' }, state: { type: 'string' } },
};
/** The partner's adapter that maps an upload (`?adapter=`). */
export const ADAPTER_QUERY = { adapter: { type: 'string', minLength: 1 } };

/** Express's `/requests/:id` as OpenAPI's `/requests/{id}`. */
export const openApiPath = (prefix: string, routePath: string) =>
  `${prefix}${routePath}`.replace(/:(\w+)/g, '{$1}');

const PROBLEM = 'application/problem+json';

/** An operation's group: the first segment under /api/v1 (`requests`, `audit`), or the probes. */
const tagOf = (fullPath: string) =>
  fullPath.startsWith('/api/v1/') ? fullPath.split('/')[3].replace(/\..*$/, '') : 'health';

/** The refusals a route can answer whatever it does, from its guard, body and path. */
function standardProblems(route: RouteSpec, params: string[]): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = {};
  const doc = route.doc!;
  // Any body but a GET's is read (JSON unless streamed), so any can be malformed, too large or of a wrong type.
  const takesBody = route.method !== 'get';
  if (takesBody || doc.query || params.length) {
    out[400] = {
      description: 'The body, query or path is invalid; `errors` lists each problem with its JSON pointer.',
    };
  }
  if (route.guard.kind !== 'public') {
    out[401] = {
      description: 'No valid bearer token.',
      headers: { 'WWW-Authenticate': WWW_AUTHENTICATE },
    };
  }
  if (route.guard.kind === 'actions') {
    out[403] = {
      description: `The caller's accreditation is not active, or none of their roles may ${route.guard.actions.join(' or ')} for their partner.`,
    };
  }
  if (params.length) out[404] = { description: 'Nothing is found under this path.' };
  if (takesBody) {
    out[413] = { description: 'The body exceeds the limit.' };
    out[415] = { description: 'The media type or content encoding of the body is not supported.' };
  }
  if (route.guard.kind !== 'public') {
    out[429] = {
      description:
        'A rate limit of the caller (per address, failed authentications, per person, or lookups) is used up; `limit` names it.',
      headers: { 'Retry-After': 'Seconds to wait' },
    };
    out[503] = {
      description:
        "The store is busy or unreachable, or the caller's identity provider's keys cannot be had; try again after Retry-After.",
      headers: { 'Retry-After': 'Seconds to wait' },
    };
  }
  return out;
}

/** Component names from $ids: `…/api/request-create.schema.json` is RequestCreate. */
function componentName(id: string): string {
  const base = path.basename(new URL(id).pathname).replace(/\.schema\.json$/, '');
  return base.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

/** Collects schemas with an $id as components, rewriting references to them into the document. */
class Components {
  readonly schemas: Record<string, object> = {};
  private readonly byId = new Map<string, { name: string; schema: object }>();

  constructor(known: object[]) {
    for (const schema of known) this.register(schema);
  }

  /** `schema` as the document holds it: a $ref to its component, or inline with references rewritten. */
  use(schema: object): object {
    const id = (schema as { $id?: string }).$id;
    if (id) return { $ref: `#/components/schemas/${this.register(schema)}` };
    return this.rewrite(schema, undefined, undefined) as object;
  }

  private register(schema: object): string {
    const id = (schema as { $id: string }).$id;
    const known = this.byId.get(id);
    if (known) return known.name;
    const name = componentName(id);
    if (this.schemas[name]) throw new Error(`two schemas would be the component ${name}: ${id}`);
    this.byId.set(id, { name, schema });
    this.schemas[name] = {};
    this.schemas[name] = this.rewrite(schema, id, name) as object;
    return name;
  }

  private refOf(ref: string, base: string | undefined, own: string | undefined): string {
    // A pointer inside a schema resource points inside its component once $id is gone.
    if (ref.startsWith('#')) {
      if (!own) throw new Error(`an inline schema's local $ref ${ref} has no resource to point into`);
      return `#/components/schemas/${own}${ref.slice(1)}`;
    }
    if (!base) throw new Error(`an inline schema's $ref ${ref} has no base to resolve against`);
    const target = new URL(ref, base).href;
    const known = this.byId.get(target);
    if (!known) throw new Error(`$ref ${ref} (${target}) names no schema the API description knows`);
    return `#/components/schemas/${this.register(known.schema)}`;
  }

  private rewrite(node: unknown, base: string | undefined, own: string | undefined): unknown {
    if (Array.isArray(node)) return node.map((n) => this.rewrite(n, base, own));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || key === '$id') continue;
      out[key] = key === '$ref' ? this.refOf(String(value), base, own) : this.rewrite(value, base, own);
    }
    return out;
  }
}

function responseObject(status: number, response: ResponseDoc, components: Components): object {
  const headers = response.headers
    ? Object.fromEntries(
        Object.entries(response.headers).map(([name, description]) => [
          name,
          { description, schema: { type: 'string' } },
        ]),
      )
    : undefined;
  const content = response.types
    ? Object.fromEntries(response.types.map((type) => [type, { schema: { type: 'string' } }]))
    : response.schema
      ? { 'application/json': { schema: components.use(response.schema) } }
      : status >= 400
        ? { [PROBLEM]: { schema: components.use(problemSchema) } }
        : undefined;
  return {
    description: response.description,
    ...(headers ? { headers } : {}),
    ...(content ? { content } : {}),
  };
}

function operation(prefix: string, route: RouteSpec, components: Components): Operation {
  const doc = route.doc!;
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const parameters = [
    ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(doc.query ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: doc.requiredQuery?.includes(name) ?? false,
      schema: components.use(schema),
    })),
  ];
  const responses = { ...standardProblems(route, params), ...doc.responses };
  const guard = route.guard;
  const requestBody = doc.body
    ? { required: true, content: { 'application/json': { schema: components.use(doc.body) } } }
    : doc.upload
      ? { required: true, content: Object.fromEntries(doc.upload.map((t) => [t, { schema: {} }])) }
      : undefined;
  return {
    tags: [tagOf(openApiPath(prefix, route.path))],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    security: guard.kind === 'public' ? [] : [{ bearer: [] }],
    ...(guard.kind === 'actions' ? { 'x-actions': guard.actions } : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, r]) => [status, responseObject(Number(status), r, components)]),
    ),
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The description of every documented route in `routes` (the portal's pages have none). */
export function openApiDocument(routes: { prefix: string; route: RouteSpec }[]): OpenApiDocument {
  const components = new Components(REFERENCED_ONLY);
  const paths: OpenApiDocument['paths'] = {};
  for (const { prefix, route } of routes) {
    if (!route.doc) continue;
    const key = openApiPath(prefix, route.path);
    paths[key] ??= {};
    paths[key][route.method] = operation(prefix, route, components);
  }
  components.use(problemSchema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Five Safes Gateway API',
      version: packageVersion(),
      description:
        'Every cross-partner request is decided against the Five Safes and logged tamper-evidently. ' +
        'Errors are RFC 9457 problem documents (application/problem+json).',
    },
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "An access token of a partner's identity provider, audience the gateway.",
        },
      },
    },
  } as OpenApiDocument;
}
