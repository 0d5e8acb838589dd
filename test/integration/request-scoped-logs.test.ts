/**
 * Request-scoped logs (issue 20): a line written deep in a service while a request is served, after
 * awaits and a turn of the event loop, carries that request's id (the X-Request-Id it was answered
 * with), through the lookup fast lane and through express alike; a line written outside a request
 * carries none, and a line that names its request keeps its own.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import { boatLookup, boatRequest, createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
let anna: string;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  gw = await createTestGateway();
  anna = await gw.token('anna', { mfa: true });
  // The gateway's own logger, its lines caught here instead of printed.
  gw.logger.silent = false;
  gw.logger.level = 'info';
  gw.logger.clear().add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    }),
  );
  // A line from deep in the store, a turn of the event loop after the service asked for the caller.
  const accreditations = gw.store.accreditations;
  const get = accreditations.get.bind(accreditations);
  accreditations.get = async (partnerId, userId) => {
    await new Promise((resolve) => setImmediate(resolve));
    gw.logger.warn('deep in the store');
    return get(partnerId, userId);
  };
});
afterAll(() => gw?.close());

const deepLines = () => lines.filter((line) => line.message === 'deep in the store');

test.each([
  ['a lookup through the fast lane', () => gw.http.post('/api/v1/lookups').send(boatLookup())],
  ['a detail request through express', () => gw.http.post('/api/v1/requests').send(boatRequest())],
])('%s: the line written in the store carries the request id', async (_label, send) => {
  lines.length = 0;
  const res = await send().set('Authorization', `Bearer ${anna}`);
  expect(res.status).toBeLessThan(300);
  const requestId = res.headers['x-request-id'] as string;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(deepLines().length).toBeGreaterThan(0);
  for (const line of deepLines()) expect(line.requestId).toBe(requestId);
});

test('outside a request a line has no request id; a line naming its own keeps it', async () => {
  lines.length = 0;
  gw.logger.info('outside');
  await gw.store.accreditations.get('police-nl', 'anna');
  expect(lines.map((line) => [line.message, line.requestId])).toEqual([
    ['outside', undefined],
    ['deep in the store', undefined],
  ]);
  gw.logger.info('named', { requestId: 'its-own' });
  expect(lines.find((line) => line.message === 'named')?.requestId).toBe('its-own');
});
