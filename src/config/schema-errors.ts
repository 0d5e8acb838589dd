import type { ErrorObject } from 'ajv';

/** One readable line per ajv error: "<where>: <problem>", e.g. "server.port: must be <= 65535". */
export function describeAjvError(error: ErrorObject, separator = '.'): string {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  const where = segments.length ? segments.join(separator) : '(root)';
  let problem = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') problem = 'is not a known key';
  if (error.keyword === 'required') problem = 'is required';
  if (error.keyword === 'enum')
    problem = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return `${where}: ${problem}`;
}

/** JSON pointer form of an ajv error's location, e.g. "/safes/people/minVettingLevel". */
export function ajvPointer(error: ErrorObject): string {
  // ajv escapes instancePath (RFC 6901); a key it names in params must be escaped the same way.
  const extra =
    error.keyword === 'required'
      ? `/${escapePointer(String(error.params.missingProperty))}`
      : error.keyword === 'additionalProperties'
        ? `/${escapePointer(String(error.params.additionalProperty))}`
        : '';
  return `${error.instancePath}${extra}` || '/';
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
