import winston from 'winston';
import { currentRequestId } from './request-scope';

const SERVICE = 'five-safes-gateway';
/** Marks loggers made by createLogger: their lines have the shape `requestLine` reproduces. */
const OURS = Symbol('fsg.logger');

/**
 * Every line written while a request is served carries its id (request-scope.ts), so that an operator
 * can follow one request through the log; a line that names its request already keeps its own.
 */
const withRequestId = winston.format((info) => {
  if (info.requestId === undefined) {
    const requestId = currentRequestId();
    if (requestId !== undefined) info.requestId = requestId;
  }
  return info;
});

/**
 * Operational log: JSON lines for operators. It never holds tokens, personal data or identifiers;
 * callers log route patterns, partners, status codes and request ids only.
 */
export function createLogger(level: string): winston.Logger {
  const logger = winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(withRequestId(), winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: SERVICE },
    transports: [new winston.transports.Console()],
  });
  (logger as unknown as Record<symbol, boolean>)[OURS] = true;
  return logger;
}

export type Logger = winston.Logger;

/** What the request log says of each request (no URL, no query, no body, no token). */
export interface RequestLogFields {
  requestId: string;
  method: string;
  route: string;
  status: number;
  partner: string | undefined;
  ms: number;
}

/**
 * The request log, one line per request. With a logger of createLogger at `info` writing to the
 * console (the default), the line is formatted here, byte for byte what winston's
 * `timestamp()` + `json()` would print (level and message first, then the other keys sorted, as
 * safe-stable-stringify does), and the lines of one turn of the event loop are written together:
 * winston's per-call work (info object, streams, formats) was a large share of a request's cost
 * (docs/performance.md). Any other logger
 * (silent, another level, other transports) gets `logger.info` as before.
 */
export function requestLog(logger: Logger): (fields: RequestLogFields) => void {
  const transports = logger.transports;
  const fast =
    (logger as unknown as Record<symbol, boolean>)[OURS] === true &&
    !logger.silent &&
    logger.isInfoEnabled() &&
    transports.length === 1 &&
    transports[0] instanceof winston.transports.Console &&
    !transports[0].silent &&
    (transports[0].level === undefined || logger.levels[transports[0].level] >= logger.levels.info);
  if (!fast) return (fields) => logger.info('request', fields);

  let pending = '';
  const flush = () => {
    const text = pending;
    pending = '';
    if (text) process.stdout.write(text);
  };
  return (f) => {
    if (!pending) setImmediate(flush);
    pending +=
      `{"level":"info","message":"request","method":${JSON.stringify(f.method)},"ms":${JSON.stringify(f.ms)}` +
      (f.partner === undefined ? '' : `,"partner":${JSON.stringify(f.partner)}`) +
      `,"requestId":${JSON.stringify(f.requestId)},"route":${JSON.stringify(f.route)}` +
      `,"service":"${SERVICE}","status":${JSON.stringify(f.status)},"timestamp":"${new Date().toISOString()}"}\n`;
  };
}
