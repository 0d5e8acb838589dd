/**
 * Which driver errors mean "the database cannot be reached" (StoreUnavailableError, a 503): the
 * connection refused, reset, timed out or ended, or the server shutting down or refusing connections.
 * Anything else (a constraint, a bad statement) stays what it is.
 */
import { StoreUnavailableError } from '../port';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** SQLSTATE: admin/crash shutdown, cannot connect now, too many connections; class 08 below. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '53300']);
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

export function isUnreachable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK.has(code) || SERVER_GONE.has(code) || code.startsWith('08')))
    return true;
  return typeof message === 'string' && DRIVER_MESSAGES.test(message);
}

/** The error as the store's callers see it. */
export function storeError(error: unknown): unknown {
  return isUnreachable(error) ? new StoreUnavailableError({ cause: error }) : error;
}
