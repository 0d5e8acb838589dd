/** helmet's headers, computed once: the same headers on every response as helmet itself sets. */
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import supertest from 'supertest';
import { fixedHeaders, recordHeaders } from '../../src/http/static-headers';

const options = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
};

async function headersOf(middleware: RequestHandler) {
  const app = express();
  app.use(middleware);
  app.get('/x', (_req, res) => {
    res.json({ ok: true });
  });
  const res = await supertest(app).get('/x');
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return rest;
}

describe('recordHeaders and fixedHeaders', () => {
  it('sets what helmet sets, header for header', async () => {
    const expected = await headersOf(helmet(options));
    expect(expected['content-security-policy']).toContain("default-src 'none'");
    expect(expected['x-powered-by']).toBeUndefined();
    expect(await headersOf(fixedHeaders(recordHeaders(helmet(options))))).toEqual(expected);
  });

  it('refuses a middleware that reads the request, fails or does not go on at once', () => {
    expect(() => recordHeaders((req, _res, next) => (req.secure ? next() : next()))).toThrow(
      /request\.secure/,
    );
    expect(() => recordHeaders((_req, _res, next) => next(new Error('no')))).toThrow(/failed/);
    expect(() => recordHeaders((_req, _res, next) => void setImmediate(next))).toThrow(/next\(\) at once/);
    expect(() => recordHeaders((_req, res, next) => (res.status(200), next()))).toThrow();
  });
});
