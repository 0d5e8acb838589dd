import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from './logger';
import { ProblemError, problems } from './problem';

const TYPE_BASE = 'https://five-safes-gateway.example/problems/';

export function sendProblem(res: Response, problem: ProblemError): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `${TYPE_BASE}${problem.code}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      instance: res.locals.requestId ? `urn:fsg:request-id:${res.locals.requestId as string}` : undefined,
      ...problem.extensions,
    });
}

/** Turns what body-parser throws into problems; everything unknown becomes a bare 500. */
function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return problems.badRequest('The body is not valid JSON.');
  if (e?.type === 'entity.too.large') return problems.tooLarge('The body exceeds the limit.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return problems.unsupportedMedia('The body encoding is not supported.');
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const problem = toProblem(error);
    if (problem) return sendProblem(res, problem);
    // Name only: messages of foreign errors may quote input, and stacks never leave the process log level.
    logger.error('unhandled error', {
      requestId: res.locals.requestId,
      error: (error as Error)?.name ?? 'unknown',
    });
    sendProblem(res, new ProblemError({ code: 'internal', title: 'Internal error', status: 500 }));
  };
}

export const notFoundHandler: RequestHandler = (_req, res) =>
  sendProblem(res, problems.notFound('No such route.'));
