/**
 * Rate limits (issue 20, item 3) on a gateway with tiny ones: a person's lookups are limited alike
 * on the fast lane and the express route, failed authentications used up shut the address out (a
 * good token too, and the portal's sign-in), and another person or address goes on as before.
 * Addresses are told apart by X-Forwarded-For from the trusted loopback proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import supertest from 'supertest';
import { loadConfig } from '../../src/config/load';
import { createRateLimits } from '../../src/http/rate-limits';
import { csrfOf } from '../helpers/portal-session';
import { boatLookup, createTestGateway, type TestGateway } from '../helpers/gateway';
import { rateLimitsConfig } from '../helpers/rate-limits';

let gw: TestGateway;
let config: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  // Tiny limits: each test below takes its calls from addresses of its own.
  config = rateLimitsConfig({
    perAddress: { points: 6, durationSeconds: 60 },
    failedAuth: { points: 3, durationSeconds: 60 },
    lookups: { points: 2, durationSeconds: 60 },
  });
  gw = await createTestGateway({
    FSG_CONFIG: config,
    FSG_TRUST_PROXY: 'loopback',
  });
  for (const user of ['anna', 'sven', 'dana']) tokens[user] = await gw.token(user);
});
afterAll(async () => {
  await gw.close();
  fs.rmSync(path.dirname(config), { recursive: true, force: true });
});

type Http = ReturnType<typeof supertest>;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A lookup by `token` from `address`, through `http` (the server's handler, or express alone). */
const lookup = (http: Http, address: string, token: string) =>
  http.post('/api/v1/lookups').set(bearer(token)).set('X-Forwarded-For', address).send(boatLookup());

/** Any other call: the requests a user has made. */
const otherCall = (address: string, token: string) =>
  gw.http.get('/api/v1/requests').set(bearer(token)).set('X-Forwarded-For', address);

function expectRefused(res: supertest.Response, limit: string, windowSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.body).toMatchObject({ status: 429, title: 'Too many requests', limit });
  expect(res.body.type).toMatch(/\/rate-limited$/);
  // Which limit, never whose: no user, partner or address in the answer.
  expect(JSON.stringify(res.body)).not.toMatch(/anna|police-nl|10\.10\./);
}

test("a person's lookups are limited on the fast lane and the express route alike; others go on", async () => {
  const express = supertest(gw.app);
  expect((await lookup(gw.http, '10.10.0.1', tokens.anna)).status).toBe(200);
  expect((await lookup(express, '10.10.0.1', tokens.anna)).status).toBe(200);
  expectRefused(await lookup(gw.http, '10.10.0.1', tokens.anna), 'lookups', 60);
  // The same count from another address, and through express.
  const viaExpress = await lookup(express, '10.10.0.2', tokens.anna);
  expectRefused(viaExpress, 'lookups', 60);
  expect(viaExpress.body.detail).toBe('Too many lookups by this user: at most 2 in 60 seconds.');
  // Another person's lookups, and anna's other calls, count apart.
  expect((await lookup(gw.http, '10.10.0.1', tokens.sven)).status).not.toBe(429);
  expect((await otherCall('10.10.0.1', tokens.anna)).status).toBe(200);
});

test('failed authentications used up refuse every call from the address, a good token too', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await otherCall('10.10.1.1', `${tokens.dana}x`);
    expect(res.status).toBe(401);
  }
  expectRefused(await otherCall('10.10.1.1', tokens.dana), 'failedAuth', 60);
  expectRefused(await lookup(gw.http, '10.10.1.1', tokens.sven), 'failedAuth', 60);
  // The portal's sign-in form from there too.
  expectRefused(await gw.http.post('/portal/sign-in').set('X-Forwarded-For', '10.10.1.1'), 'failedAuth', 60);
  // Another address is not touched.
  expect((await otherCall('10.10.1.2', tokens.anna)).status).toBe(200);
});

test('failed token sign-ins at the portal count as failed authentications of the address', async () => {
  const address = '10.10.2.1';
  const form = await gw.http.get('/portal/sign-in').set('X-Forwarded-For', address);
  const cookie = String(form.headers['set-cookie'][0]).split(';')[0];
  for (let i = 0; i < 3; i++) {
    const signIn = await gw.http
      .post('/portal/sign-in')
      .set('X-Forwarded-For', address)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: `${tokens.dana}x` });
    expect(signIn.status).toBe(401);
  }
  expectRefused(await otherCall(address, tokens.dana), 'failedAuth', 60);
});

test('the calls from one address are limited before any token is verified', async () => {
  const address = '10.10.3.1';
  for (let i = 0; i < 6; i++) expect((await otherCall(address, tokens.anna)).status).toBe(200);
  expectRefused(await otherCall(address, tokens.anna), 'perAddress', 60);
  expectRefused(await otherCall(address, 'not-even-a-token'), 'perAddress', 60);
  expect((await otherCall('10.10.3.2', tokens.anna)).status).toBe(200);
});

test('on by default with limits for production; FSG_RATE_LIMITS=false turns them off', () => {
  const defaults = loadConfig({}).rateLimits!;
  expect(defaults).toMatchObject({ enabled: true, lookups: { points: 600, durationSeconds: 60 } });
  expect(createRateLimits(defaults, gw.store)).toBeDefined();
  const off = loadConfig({ FSG_RATE_LIMITS: 'false' }).rateLimits;
  expect(off?.enabled).toBe(false);
  expect(createRateLimits(off, gw.store)).toBeUndefined();
});

test('starting or finishing an OpenID Connect sign-in counts against the address as well', async () => {
  // Each start writes a pending sign-in to the store: an address cannot write them without end.
  const address = '10.10.4.1';
  const start = () => gw.http.get('/portal/sign-in/oidc/police-nl').set('X-Forwarded-For', address);
  for (let i = 0; i < 5; i++) expect((await start()).status).not.toBe(429);
  expect((await gw.http.get('/portal/oidc/callback').set('X-Forwarded-For', address)).status).toBe(400);
  expectRefused(await start(), 'perAddress', 60);
  expect((await gw.http.get('/portal/oidc/callback').set('X-Forwarded-For', address)).status).toBe(429);
});

test('IPv6 clients are counted by their /64, which one subscriber holds whole; IPv4-mapped ones as IPv4', async () => {
  // One network hands a subscriber a /64: its addresses are one client's, or limits would be moot.
  const subscriber = (n: number) => `2001:db8:7:1::${n.toString(16)}`;
  for (let i = 1; i <= 6; i++) expect((await otherCall(subscriber(i), tokens.anna)).status).toBe(200);
  expectRefused(await otherCall(subscriber(7), tokens.anna), 'perAddress', 60);
  expect((await otherCall('2001:db8:7:2::1', tokens.anna)).status).toBe(200);
  for (let i = 0; i < 6; i++) expect((await otherCall('10.10.5.1', tokens.anna)).status).toBe(200);
  expectRefused(await otherCall('::ffff:10.10.5.1', tokens.anna), 'perAddress', 60);
});
