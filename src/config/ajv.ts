import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** One way to build validators: JSON Schema 2020-12, all errors, strict schemas, standard formats. */
export function createAjv(options: { coerceTypes?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes: options.coerceTypes ?? false });
  addFormats(ajv);
  return ajv;
}
