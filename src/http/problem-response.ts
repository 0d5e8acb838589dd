import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from './logger';
import { ProblemError, problems } from './problem';

const TYPE_BASE = 'https://five-safes-gateway.example/problems/';

/** The RFC 9457 document of a problem; `instance` names the request. */
export function problemDocument(problem: ProblemError, requestId: string | undefined): object {
  return {
    type: `${TYPE_BASE}${problem.code}`,
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    instance: requestId ? `urn:fsg:request-id:${requestId}` : undefined,
    ...problem.extensions,
  };
}

/** The headers a problem brings with it, whatever sends it (express, the fast lane, the portal). */
export function setProblemHeaders(res: ServerResponse, problem: ProblemError): void {
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
}

export function sendProblem(res: Response, problem: ProblemError): void {
  setProblemHeaders(res, problem);
  res
    .status(problem.status)
    .type('application/problem+json')
    .json(problemDocument(problem, res.locals.requestId as string | undefined));
}

/** Turns what body-parser throws into problems; everything unknown becomes a bare 500. */
function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  const e = error as { type?: string; status?: number; expose?: boolean };
  if (e?.type === 'entity.parse.failed') return problems.badRequest('The body is not valid JSON.');
  if (e?.type === 'entity.too.large') return problems.tooLarge('The body exceeds the limit.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return problems.unsupportedMedia('The body encoding is not supported.');
  }
  // body-parser's other client errors (http-errors, 400 and exposable): a body whose Content-Encoding
  // does not decode (zlib's error inside), one cut short or longer than its Content-Length.
  if (e?.status === 400 && e.expose === true) return problems.badRequest(UNREADABLE_BODY);
  // The router's: a path parameter whose percent-escapes are not UTF-8 (its message quotes the value).
  if (error instanceof URIError && e.status === 400) return problems.badRequest(UNDECODABLE_PATH);
  return undefined;
}

const UNDECODABLE_PATH = 'The path holds a percent-escape that is not UTF-8.';

/**
 * A store that cannot serve now but will: SQLite's "the database is locked" (SQLITE_BUSY,
 * SQLITE_LOCKED and their extended codes), or a database that cannot be reached (StoreUnavailableError).
 */
export function isStoreBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (/^SQLITE_(BUSY|LOCKED)(_|$)/.test(code) || code === 'STORE_UNAVAILABLE')
  );
}

/**
 * The 503 for a store that stayed locked past its busy_timeout, or a database that cannot be reached:
 * the statement that failed changed nothing (its unit was rolled back), so trying again shortly is
 * right. Logged as a warning, by code only (drivers' messages may quote SQL).
 */
export function storeBusyProblem(
  error: unknown,
  logger: Logger,
  requestId: string | undefined,
): ProblemError {
  const { code } = error as { code: string };
  if (code === 'STORE_UNAVAILABLE') {
    logger.warn('store unavailable', { requestId, code });
    return problems.unavailable(
      'The database cannot be reached. Try again shortly.',
      STORE_DOWN_RETRY_SECONDS,
    );
  }
  logger.warn('store busy', { requestId, code });
  return problems.unavailable('The database is busy. Try again in a moment.', STORE_BUSY_RETRY_SECONDS);
}

const STORE_BUSY_RETRY_SECONDS = 1;
const STORE_DOWN_RETRY_SECONDS = 5;

export const UNREADABLE_BODY =
  'The body could not be read: it is cut short or its Content-Encoding does not decode.';

/** The problem to answer for `error`; anything unknown is logged (by name) and becomes a bare 500. */
export function problemFor(error: unknown, logger: Logger, requestId: string | undefined): ProblemError {
  const problem = toProblem(error);
  if (problem) return problem;
  if (isStoreBusy(error)) return storeBusyProblem(error, logger, requestId);
  // Name only: messages of foreign errors may quote input, and stacks never leave the process log level.
  logger.error('unhandled error', { requestId, error: (error as Error)?.name ?? 'unknown' });
  return new ProblemError({ code: 'internal', title: 'Internal error', status: 500 });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    sendProblem(res, problemFor(error, logger, res.locals.requestId as string | undefined));
  };
}

export const notFoundHandler: RequestHandler = (_req, res) =>
  sendProblem(res, problems.notFound('No such route.'));
