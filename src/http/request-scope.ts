/**
 * The id of the request being served, for every log line written while serving it (logger.ts adds it),
 * however deep in a service and across awaits. One AsyncLocalStorage holding the id itself: nothing is
 * allocated per request beyond the scope node makes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/** Runs `work` (and what it awaits or schedules) as part of request `requestId`. */
export function inRequestScope<T>(requestId: string, work: () => T): T {
  return scope.run(requestId, work);
}

/** The id of the request whose work is running now, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}
