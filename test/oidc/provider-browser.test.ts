/**
 * The test provider's own pages in Chromium: the login form (with a one-time code) brings the browser
 * back to the client with a code, and RP-initiated logout back to the client, nothing loaded from
 * elsewhere on the way.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser';
import { discoveryOf, startProvider, type TestProvider } from './provider';

jest.setTimeout(20_000);

let provider: TestProvider;
let client: http.Server;
let clientUrl: string;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  client = http.createServer((_req, res) => res.end('<!DOCTYPE html><title>client</title><p>back</p>'));
  await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
  clientUrl = `http://127.0.0.1:${(client.address() as AddressInfo).port}`;
  provider = await startProvider({
    clients: [
      {
        client_id: 'portal',
        client_secret: 'portal-secret',
        redirect_uris: [`${clientUrl}/portal/oidc/callback`],
        post_logout_redirect_uris: [`${clientUrl}/portal/signed-out`],
      },
    ],
  });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  context.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await provider?.stop();
  await new Promise<void>((resolve) => client.close(() => resolve()));
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

it('signs in through the login form and out through the logout page', async () => {
  const page = await context.newPage();
  const elsewhere: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith('http://127.0.0.1:')) elsewhere.push(req.url());
  });
  const discovery = await discoveryOf(provider);
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: 'portal',
    response_type: 'code',
    redirect_uri: `${clientUrl}/portal/oidc/callback`,
    scope: 'openid',
    state: 'st',
    nonce: 'no',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  await page.goto(authorize.href);
  await page.fill('#login', 'anna');
  await page.fill('#password', 'secret');
  await page.fill('#otp', '123456');
  await page.click('#sign-in');
  await page.waitForURL(`${clientUrl}/portal/oidc/callback?**`);
  const back = new URL(page.url());
  expect(back.searchParams.get('state')).toBe('st');
  expect(back.searchParams.get('code')).toBeTruthy();

  const end = new URL(discovery.end_session_endpoint!);
  end.search = new URLSearchParams({
    client_id: 'portal',
    post_logout_redirect_uri: `${clientUrl}/portal/signed-out`,
    state: 'bye',
  }).toString();
  await page.goto(end.href);
  await page.click('#logout-yes');
  await page.waitForURL(`${clientUrl}/portal/signed-out?**`);
  expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
  expect(elsewhere).toEqual([]);
});
