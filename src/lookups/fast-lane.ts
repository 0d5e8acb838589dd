/**
 * The lookup route served without express. Lookups are the gateway's hot path, and express's own work
 * per request (its request and response objects, the router, body-parser) cost more than the whole
 * of a bare node server's answer (docs/performance.md). So a plain JSON lookup is
 * answered here, with the very pieces the express route uses: the same request id and request log
 * line, the same fixed headers (helmet's, Cache-Control), the route's own `authenticated` guard
 * and rate limits before the body is read, body-parser's strict JSON rules, the same refusal of text that is not
 * well-formed (http/well-formed.ts), the same validation, decision and answer
 * (answerLookup), the same problem documents.
 *
 * Anything else goes to express untouched (`next`): another method or path (also the same path in
 * other letter case, with a trailing slash or a query), another content type or charset, a content
 * encoding, a body without Content-Length, an empty one or one over the limit. Those answers stay
 * express's, byte for byte; test/integration/lookup-fast-lane.test.ts holds the two side by side.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import bytes from 'bytes';
import proxyaddr from 'proxy-addr';
import type { Identity } from '../auth/identity';
import type { TokenVerifier } from '../auth/verifier';
import { authenticate, WWW_AUTHENTICATE } from '../http/guard';
import type { Logger } from '../http/logger';
import { problems } from '../http/problem';
import { problemDocument, problemFor, setProblemHeaders } from '../http/problem-response';
import type { RateLimits } from '../http/rate-limits';
import { beginRequest, requestFinished } from '../http/request-context';
import { inRequestScope } from '../http/request-scope';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { RouteSpec } from '../http/routes';
import { applyHeaders, type HeaderStep } from '../http/static-headers';
import { refuseIllFormed } from '../http/well-formed';
import { answerLookup, LOOKUP_PATH, LOOKUP_PREFIX } from './routes';
import type { LookupService } from './service';

export interface FastLaneDeps {
  /** The lookup route as declared in the route table: its guard is the one applied here. */
  route: RouteSpec;
  service: LookupService;
  verifier: TokenVerifier;
  logger: Logger;
  /** The headers every API answer carries, in order. */
  headers: readonly HeaderStep[];
  /** The JSON body limit, as express.json reads it ('100kb'). */
  bodyLimit: string;
  /** express's compiled `trust proxy` setting, for the client address and the protocol. */
  trust: (address: string, hop: number) => boolean;
  /** The gateway's metrics, when kept: each request's duration, as the express routes'. */
  metrics?: GatewayMetrics;
  /** The API guard's rate limits, applied here as there (the route's own person limit). */
  rateLimits?: RateLimits;
}

/** A node request handler that answers plain JSON lookups and passes everything else to `next`. */
export type FastLane = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const URL = `${LOOKUP_PREFIX}${LOOKUP_PATH}`;
/** application/json, with at most the UTF-8 charset: what body-parser reads as UTF-8 without question. */
const PLAIN_JSON = /^application\/json(?:;[ \t]*charset=(?:utf-8|"utf-8"))?$/i;
/** body-parser's strict mode: a JSON text must start (after whitespace) with an object or an array. */
const STRICT_START = /^[ \t\n\r]*[{[]/;

export function createLookupFastLane(deps: FastLaneDeps): FastLane {
  if (
    deps.route.method !== 'post' ||
    deps.route.path !== LOOKUP_PATH ||
    deps.route.guard.kind !== 'authenticated'
  ) {
    throw new Error('the lookup fast lane serves POST /lookups behind the authenticated guard only');
  }
  const limit = bytes.parse(deps.bodyLimit);
  if (limit === null || !Number.isFinite(limit))
    throw new Error(`body limit ${deps.bodyLimit} is not a size`);
  const log = requestFinished(deps.logger, deps.metrics);
  const limits = deps.rateLimits;
  const personLimit = deps.route.rateLimit ?? 'perPerson';

  /** Whether the request is one this lane takes. */
  const takes = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST' || req.url !== URL) return false;
    const { headers } = req;
    if (!PLAIN_JSON.test(headers['content-type'] ?? '')) return false;
    if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    if (length === undefined || !/^[0-9]{1,9}$/.test(length)) return false;
    const n = Number(length);
    return n > 0 && n <= limit;
  };

  return (req, res, next) => {
    if (!takes(req)) return next();
    let identity: Identity | undefined;
    const requestId = beginRequest(log, req, res, () => ({ route: URL, partner: identity?.partnerId }));
    applyHeaders(res, deps.headers);
    // As express's `req.ip ?? ''` (no address once the socket is gone), for the limits and the decision.
    const sourceIp = (proxyaddr(req, deps.trust) as string | undefined) ?? '';
    const verify = () => authenticate(deps.verifier, req.headers.authorization);
    // The answer's work in the request's scope: its log lines carry its id.
    inRequestScope(requestId, () =>
      (limits ? limits.authenticate(sourceIp, personLimit, verify) : verify())
        .then(async (who) => {
          identity = who;
          const body = parseJson(await readBody(req));
          refuseIllFormed(body, 'body');
          const answer = await answerLookup(deps.service, who, body, {
            sourceIp,
            tls: protocolOf(req, deps.trust) === 'https',
          });
          send(res, 200, 'application/json; charset=utf-8', JSON.stringify(answer));
        })
        .catch((error: unknown) => {
          const problem = problemFor(error, deps.logger, requestId);
          if (problem.status === 401) res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
          if (!res.headersSent) setProblemHeaders(res, problem);
          send(
            res,
            problem.status,
            'application/problem+json; charset=utf-8',
            JSON.stringify(problemDocument(problem, requestId)),
          );
        }),
    );
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The whole body (node's parser has already held it to Content-Length); rejects if the client goes. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

/** As body-parser's strict JSON parser after its UTF-8 decoding (which drops a byte order mark). */
function parseJson(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const invalid = () => problems.badRequest('The body is not valid JSON.');
  if (!STRICT_START.test(text)) throw invalid();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid();
  }
}

/** express's req.protocol: the socket's, or X-Forwarded-Proto's first value from a trusted proxy. */
function protocolOf(req: IncomingMessage, trust: FastLaneDeps['trust']): string {
  const own = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress ?? '', 0)) return own;
  const header = req.headers['x-forwarded-proto'];
  const value = (Array.isArray(header) ? header[0] : header) || own;
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.substring(0, comma)).trim();
}
