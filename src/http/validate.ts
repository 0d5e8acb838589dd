import type { ValidateFunction } from 'ajv';
import { createAjv } from '../config/ajv';
import { ajvPointer } from '../config/schema-errors';
import { problems } from './problem';
import answerSchema from '../../schemas/api/answer.schema.json';
import requestCreateSchema from '../../schemas/api/request-create.schema.json';
import recordSchema from '../../schemas/sis/record.schema.json';

const ajv = createAjv();
ajv.addSchema(recordSchema);

/** A body's validator, carrying the schema it validates with: the API description shows that one. */
export type BodyValidator<T> = ((body: unknown) => T) & { readonly schema: object };

/** Compiled once; a body that fails gets a 400 listing every problem with its JSON pointer. */
export function bodyValidator<T>(schema: object): BodyValidator<T> {
  const validate: ValidateFunction<T> = ajv.compile<T>(schema);
  const check = (body: unknown): T => {
    if (validate(body)) return body;
    const errors = (validate.errors ?? []).map((e) => ({
      pointer: ajvPointer(e),
      detail: e.message ?? 'is invalid',
    }));
    throw problems.badRequest('The request body is invalid.', { errors });
  };
  return Object.assign(check, { schema });
}

/** A body that only gives a written reason (declines, suspensions), which is logged. */
export function reasonValidator(maxLength: number): BodyValidator<{ reason: string }> {
  return bodyValidator<{ reason: string }>({
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 3, maxLength } },
  });
}

export const schemas = { requestCreate: requestCreateSchema, answer: answerSchema };
