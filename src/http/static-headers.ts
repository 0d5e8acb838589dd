import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';

export type HeaderStep = { set: string; value: string | number | readonly string[] } | { remove: string };

/**
 * The headers a middleware sets whatever the request (helmet with fixed options): it is run once,
 * here, against a recording response, and the steps returned set the very same headers, in the same
 * order (applyHeaders, fixedHeaders), without going through it again (helmet calls 13 nested
 * middlewares per request).
 * Throws at start-up if the middleware does anything but set or remove headers and call `next()`
 * at once, so a configuration that depends on the request can never be frozen by mistake.
 */
export function recordHeaders(middleware: RequestHandler): HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      steps.push({ set: name, value });
      return recorder;
    },
    removeHeader(name: string) {
      steps.push({ remove: name });
    },
  };
  const request = new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`recordHeaders: the middleware read request.${String(property)}`);
      },
    },
  );
  let called = false;
  void middleware(request as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw new Error('recordHeaders: the middleware failed', { cause: error });
    called = true;
  });
  if (!called) throw new Error('recordHeaders: the middleware did not call next() at once');
  return steps;
}

/** Sets (and removes) the recorded headers on a response, express's or a bare node one. */
export function applyHeaders(res: ServerResponse, steps: readonly HeaderStep[]): void {
  for (const step of steps) {
    if ('set' in step) res.setHeader(step.set, step.value);
    else res.removeHeader(step.remove);
  }
}

/** A middleware that applies `steps` to every response. */
export function fixedHeaders(steps: readonly HeaderStep[]): RequestHandler {
  return (_req, res, next) => {
    applyHeaders(res, steps);
    next();
  };
}
