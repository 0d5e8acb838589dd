import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { requestLog, type Logger, type RequestLogFields } from './logger';

/** A fresh id per request, on the response and on every log line about it (never taken from the client). */
export function requestContext(logger: Logger): RequestHandler {
  const log = requestLog(logger);
  return (req, res, next) => {
    res.locals.requestId = beginRequest(log, req, res, () => ({
      // The route pattern, not the URL: paths and queries may carry identifiers.
      route: req.route?.path ? `${req.baseUrl}${req.route.path as string}` : 'unmatched',
      partner: res.locals.identity?.partnerId,
    }));
    next();
  };
}

/**
 * Gives the request its id (X-Request-Id) and writes its request log line when the answer has gone;
 * `about` says, then, which route it took and for which partner. Returns the id.
 */
export function beginRequest(
  log: (fields: RequestLogFields) => void,
  req: IncomingMessage,
  res: ServerResponse,
  about: () => Pick<RequestLogFields, 'route' | 'partner'>,
): string {
  const requestId = crypto.randomUUID();
  res.setHeader('X-Request-Id', requestId);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    log({
      requestId,
      method: req.method ?? '',
      ...about(),
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
  });
  return requestId;
}
