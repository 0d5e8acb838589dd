/**
 * The one typed error of the API, rendered as RFC 9457 problem+json. Services throw it; the error
 * middleware renders it. Anything else becomes a bare 500 with no detail (no stack traces leave).
 */
export interface ProblemFields {
  /** A short stable code, also used to build the `type` URI. */
  code: string;
  title: string;
  status: number;
  detail?: string;
  /** Extension members (RFC 9457 §3.2), e.g. `requestId`, `decision`, `errors`. */
  extensions?: Record<string, unknown>;
  /** Seconds the client should wait before trying again: sent as Retry-After. */
  retryAfter?: number;
}

export class ProblemError extends Error {
  readonly code: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly extensions: Record<string, unknown>;
  readonly retryAfter?: number;

  constructor(fields: ProblemFields) {
    super(fields.detail ?? fields.title);
    this.name = 'ProblemError';
    this.code = fields.code;
    this.title = fields.title;
    this.status = fields.status;
    this.detail = fields.detail;
    this.extensions = fields.extensions ?? {};
    this.retryAfter = fields.retryAfter;
  }
}

export const problems = {
  badRequest: (detail: string, extensions?: Record<string, unknown>) =>
    new ProblemError({ code: 'bad-request', title: 'Bad request', status: 400, detail, extensions }),
  unauthenticated: (detail: string) =>
    new ProblemError({ code: 'unauthenticated', title: 'Authentication required', status: 401, detail }),
  forbidden: (detail: string, extensions?: Record<string, unknown>) =>
    new ProblemError({ code: 'forbidden', title: 'Forbidden', status: 403, detail, extensions }),
  notFound: (detail = 'No such resource.') =>
    new ProblemError({ code: 'not-found', title: 'Not found', status: 404, detail }),
  conflict: (detail: string, extensions?: Record<string, unknown>) =>
    new ProblemError({ code: 'conflict', title: 'Conflict', status: 409, detail, extensions }),
  tooLarge: (detail: string) =>
    new ProblemError({ code: 'too-large', title: 'Payload too large', status: 413, detail }),
  unsupportedMedia: (detail: string) =>
    new ProblemError({ code: 'unsupported-media', title: 'Unsupported media type', status: 415, detail }),
  gone: (detail: string) => new ProblemError({ code: 'gone', title: 'Gone', status: 410, detail }),
  tooManyRequests: (detail: string, retryAfter: number, extensions?: Record<string, unknown>) =>
    new ProblemError({
      code: 'rate-limited',
      title: 'Too many requests',
      status: 429,
      detail,
      extensions,
      retryAfter,
    }),
  unavailable: (detail: string, retryAfter?: number) =>
    new ProblemError({ code: 'unavailable', title: 'Service unavailable', status: 503, detail, retryAfter }),
};
