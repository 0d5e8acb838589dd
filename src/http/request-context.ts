import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestLog, type Logger } from './logger';

/** A fresh id per request, on the response and on every log line about it (never taken from the client). */
export function requestContext(logger: Logger): RequestHandler {
  const log = requestLog(logger);
  return (req, res, next) => {
    const requestId = crypto.randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log({
        requestId,
        method: req.method,
        // The route pattern, not the URL: paths and queries may carry identifiers.
        route: req.route?.path ? `${req.baseUrl}${req.route.path as string}` : 'unmatched',
        status: res.statusCode,
        partner: res.locals.identity?.partnerId,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}
