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

export function sendProblem(res: Response, problem: ProblemError): void {
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
  return undefined;
}

export const UNREADABLE_BODY =
  'The body could not be read: it is cut short or its Content-Encoding does not decode.';

/** The problem to answer for `error`; anything unknown is logged (by name) and becomes a bare 500. */
export function problemFor(error: unknown, logger: Logger, requestId: string | undefined): ProblemError {
  const problem = toProblem(error);
  if (problem) return problem;
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
