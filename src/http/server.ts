/**
 * The gateway's HTTP server: the app's handler, and an answer of our own for what node cannot parse
 * as a request (`clientError`: a header block over its limit, a malformed request line). Node's own
 * answer is a bare status line; ours is a problem document like every other refusal, with the fixed
 * headers of the API, and quotes nothing of what was sent (the error's rawPacket stays unread).
 */
import crypto from 'node:crypto';
import http, { type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from './logger';
import { ProblemError, problems } from './problem';
import { problemDocument } from './problem-response';
import type { HeaderStep } from './static-headers';

export type ClientErrorHandler = (error: Error & { code?: string }, socket: Duplex) => void;

/** A server whose requests go to `handler` and whose client errors to `clientError` (createApp's). */
export function createGatewayServer(gateway: {
  handler: RequestListener;
  clientError: ClientErrorHandler;
}): Server {
  const server = http.createServer(gateway.handler);
  server.on('clientError', gateway.clientError);
  return server;
}

/** The problem for a client error, by node's code (the statuses node itself would send). */
function problemOf(code: string | undefined): ProblemError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ProblemError({
        code: 'request-header-fields-too-large',
        title: 'Request header fields too large',
        status: 431,
        detail: 'The request headers exceed the limit.',
      });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return problems.tooLarge('The chunk extensions exceed the limit.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ProblemError({
        code: 'request-timeout',
        title: 'Request timeout',
        status: 408,
        detail: 'The request did not arrive in time.',
      });
    default:
      return problems.badRequest('The request could not be parsed as HTTP.');
  }
}

/**
 * Answers a client error with a problem document and closes the connection, as node would (its answer
 * only when the socket can still take one and no response of this connection has begun); logged by
 * node's error code only.
 */
export function clientErrorHandler(deps: {
  headers: readonly HeaderStep[];
  logger: Logger;
}): ClientErrorHandler {
  const fixed = deps.headers.flatMap((step) => ('set' in step ? [[step.set, step.value] as const] : []));
  return (error, socket) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = crypto.randomUUID();
    const problem = problemOf(error.code);
    deps.logger.info('client error', { requestId, code: error.code ?? error.name, status: problem.status });
    const body = JSON.stringify(problemDocument(problem, requestId));
    const headers = [
      ...fixed,
      ['X-Request-Id', requestId],
      ['Content-Type', 'application/problem+json; charset=utf-8'],
      ['Content-Length', Buffer.byteLength(body)],
      ['Connection', 'close'],
    ] as const;
    const head = headers
      .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
      .join('\r\n');
    const answer = `HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status]}\r\n${head}\r\n\r\n${body}`;
    // Nothing more is read from a connection whose request could not be parsed.
    socket.end(answer, () => socket.destroy());
  };
}
