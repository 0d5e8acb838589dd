/**
 * Issue 19 in a real browser (Debian's chromium): an analyst signs in to the portal through her police
 * force's identity provider (a real OpenID provider, test/oidc, with its own login page), makes a
 * request, signs out, and finds the session gone at both ends: the portal sends her to its sign-in page,
 * and the provider asks for her password again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort, screenshot, sendBoatRequest, startPortal, type PortalHarness } from '../helpers/browser';
import { bundleWithIssuers } from '../oidc/bundle';
import { startProvider, type TestProvider } from '../oidc/provider';

jest.setTimeout(60_000);

const SECRET_ENV = 'FSG_TEST_E2E_POLICE_SECRET';
const CASE = 'NL-2026-000919';

let provider: TestProvider;
let h: PortalHarness;
let page: Page;
let policies: string;
/**
 * The portal as the browser sees it: `localhost`, another site than the provider's 127.0.0.1, as a real
 * provider is another site than the gateway (the session cookie is SameSite=Strict).
 */
let portal: string;

beforeAll(async () => {
  const port = await freePort();
  portal = `http://localhost:${port}`;
  provider = await startProvider({
    clients: [
      {
        client_id: 'fsg-portal',
        client_secret: 'e2e-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${portal}/portal/oidc/callback`],
        post_logout_redirect_uris: [`${portal}/portal/sign-in`],
      },
    ],
  });
  process.env[SECRET_ENV] = 'e2e-secret';
  policies = bundleWithIssuers({
    'police-nl': {
      add: [
        {
          iss: provider.issuer,
          jwksUri: provider.jwksUri,
          algorithms: ['ES256'],
          signIn: { clientId: 'fsg-portal', clientSecretEnv: SECRET_ENV, label: 'Politie: sign in' },
          assurance: { mfaAmr: [['pwd', 'otp']] },
        },
      ],
    },
  });
  h = await startPortal({ FSG_POLICY_DIR: policies }, port);
  page = await h.newPage();
});

afterAll(async () => {
  delete process.env[SECRET_ENV];
  await h?.close();
  await provider?.stop();
  if (policies) fs.rmSync(path.dirname(policies), { recursive: true, force: true });
});

/** From the portal's sign-in page to the provider's login page. */
async function toProviderLogin(): Promise<void> {
  await page.goto(`${portal}/portal/sign-in`);
  await page.click('a:has-text("Politie: sign in")');
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
}

it('signs in through the provider, makes a request, and signs out at both ends', async () => {
  await toProviderLogin();
  expect(await page.locator('#client').innerText()).toBe('fsg-portal');
  await page.fill('#login', 'anna');
  await page.fill('#password', 'correct horse');
  await page.fill('#otp', '123456');
  await page.click('#sign-in');
  await page.waitForURL(`${portal}/portal/`);
  expect(await page.locator('h1').innerText()).toContain('Anna de Vries');
  await screenshot(page, 'oidc-signed-in');

  // A request, as any analyst makes one: the session's ID token passes the same guard and safes.
  await sendBoatRequest(page, CASE);
  await page.waitForURL(/\/portal\/requests\/[0-9a-f-]{36}$/);
  expect(await page.locator('.state').innerText()).toBe('Awaiting the provider');
  const requestUrl = page.url();

  // Sign out: the portal's form goes on to the provider's sign-out page (its CSP allows that origin).
  await page.click('button:has-text("Sign out")');
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
  await page.click('#logout-yes');
  await page.waitForURL(`${portal}/portal/sign-in`);
  await screenshot(page, 'oidc-signed-out');

  // The portal's end: the request page is out of reach, the browser is sent to sign in.
  await page.goto(requestUrl);
  expect(page.url()).toBe(`${portal}/portal/sign-in`);
  // The provider's end: signing in again asks for the password, not a silent return to the portal.
  await toProviderLogin();
  expect(await page.locator('#login').isVisible()).toBe(true);
});
