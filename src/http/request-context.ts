import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { requestLog, type Logger, type RequestLogFields } from './logger';
import { inRequestScope } from './request-scope';

/**
 * A fresh id per request, on the response and on every log line written while serving it (never taken
 * from the client): the rest of the request runs in its scope (request-scope.ts).
 */
export function requestContext(logger: Logger, metrics?: GatewayMetrics): RequestHandler {
  const log = requestFinished(logger, metrics);
  return (req, res, next) => {
    const requestId = beginRequest(log, req, res, () => ({
      // The route pattern, not the URL: paths and queries may carry identifiers.
      route: (res.locals.route as string | undefined) ?? 'unmatched',
      partner: res.locals.identity?.partnerId,
    }));
    res.locals.requestId = requestId;
    inRequestScope(requestId, next);
  };
}

/** What is done with an answered request: its log line, and its duration when metrics are kept. */
export function requestFinished(
  logger: Logger,
  metrics: GatewayMetrics | undefined,
): (fields: RequestLogFields) => void {
  const log = requestLog(logger);
  if (!metrics) return log;
  return (fields) => {
    metrics.request(fields);
    log(fields);
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

/** What the setting safe reads of the call itself: the client's address (as express trusts it) and TLS. */
export function callSetting(req: { ip?: string; secure: boolean }): { sourceIp: string; tls: boolean } {
  return { sourceIp: req.ip ?? '', tls: req.secure };
}
