/**
 * Checks real answers against the API's own description (GET /api/v1/openapi.json): a response's status
 * must be documented for its operation, and its body must match the schema documented for that status
 * and media type, validated with ajv against the document's components.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import type supertest from 'supertest';

export type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
} & Record<string, unknown>;
type Media = Record<string, { schema?: object }>;
type Operation = { responses: Record<string, { description: string; content?: Media }> } & Record<
  string,
  unknown
>;

const DOC_ID = 'https://five-safes-gateway.example/openapi.json';

/** JSON pointer escaping of one segment. */
const segment = (text: string) => text.replace(/~/g, '~0').replace(/\//g, '~1');

/** An ajv that resolves the document's `#/components/...` references (the document added whole). */
export function documentAjv(document: OpenApiDoc): Ajv2020 {
  // Not strict: the document holds OpenAPI's own members beside the schemas.
  const ajv = new Ajv2020({ allErrors: true, strict: false, formats: { 'log-time': true } });
  addFormats(ajv);
  ajv.addSchema(document, DOC_ID);
  return ajv;
}

/** Every schema the document holds (components, parameters, bodies, answers), by JSON pointer. */
export function schemaPointers(document: OpenApiDoc): string[] {
  const out = Object.keys(document.components.schemas).map((name) => `/components/schemas/${segment(name)}`);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const base = `/paths/${segment(path)}/${method}`;
      ((op.parameters as { schema?: object }[] | undefined) ?? []).forEach((p, i) => {
        if (p.schema) out.push(`${base}/parameters/${i}/schema`);
      });
      const body = (op.requestBody as { content: Media } | undefined)?.content ?? {};
      for (const type of Object.keys(body)) out.push(`${base}/requestBody/content/${segment(type)}/schema`);
      for (const [status, response] of Object.entries(op.responses)) {
        for (const type of Object.keys(response.content ?? {})) {
          out.push(`${base}/responses/${status}/content/${segment(type)}/schema`);
        }
      }
    }
  }
  return out;
}

/** The validator of the schema at `pointer` (compiling it resolves every $ref it reaches, or throws). */
export function validatorAt(ajv: Ajv2020, pointer: string): ValidateFunction {
  return ajv.getSchema(`${DOC_ID}#${pointer}`) ?? ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
}

/**
 * `expectDocumented(res, method, path)`: `path` is the documented one (`/api/v1/requests/{id}`). Fails
 * naming the operation when the status is not documented, the media type is not, or the body does not
 * match its schema.
 */
export function documented(document: OpenApiDoc) {
  const ajv = documentAjv(document);
  return function expectDocumented(res: supertest.Response, method: string, path: string): void {
    const where = `${method.toUpperCase()} ${path} → ${res.status}`;
    const op = document.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the API description`);
    const response = op.responses[String(res.status)];
    if (!response)
      throw new Error(`${where}: status not documented (${Object.keys(op.responses).join(', ')})`);
    const type = String(res.headers['content-type'] ?? '').split(';')[0];
    if (!response.content) {
      if (type) throw new Error(`${where}: a ${type} body where the description documents none`);
      return;
    }
    if (!response.content[type]) {
      throw new Error(`${where}: ${type} not documented (${Object.keys(response.content).join(', ')})`);
    }
    const pointer = `/paths/${segment(path)}/${method.toLowerCase()}/responses/${res.status}/content/${segment(type)}/schema`;
    const validate = validatorAt(ajv, pointer);
    if (!validate(res.body)) {
      throw new Error(`${where}: body does not match: ${ajv.errorsText(validate.errors)}`);
    }
  };
}
