/**
 * The API reference page in a real browser (Debian's chromium via playwright-core): it loads under its
 * own CSP with no violation, fetches nothing from elsewhere, is styled by its own stylesheet, and names
 * the routes.
 */
import path from 'node:path';
import { ARTIFACTS, startPortal, type PortalHarness } from '../helpers/browser';

jest.setTimeout(30_000);

let h: PortalHarness;

beforeAll(async () => {
  h = await startPortal();
});
afterAll(() => h?.close());

it('shows every route with no CSP violation and nothing loaded from elsewhere', async () => {
  const page = await h.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  const response = await page.goto(`${h.baseUrl}/api/docs`);
  await page.waitForLoadState('load');
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
  await expect(page.title()).resolves.toMatch(/API reference/);
  const routes = await page.locator('section.op h3').allInnerTexts();
  expect(routes.length).toBeGreaterThan(35);
  expect(routes.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(
    expect.arrayContaining(['POST /api/v1/lookups', 'GET /api/v1/audit/events', 'GET /healthz']),
  );
  // Its own stylesheet applies (the CSP lets it in): methods are set in bold.
  const weight = await page.evaluate(
    "getComputedStyle(document.querySelector('section.op .method')).fontWeight",
  );
  expect(weight).toBe('700');
  // The top of the page only: the whole reference is too tall to capture quickly.
  await page.screenshot({ path: path.join(ARTIFACTS, 'api-docs.png') });
  // A link to a schema lands on it.
  await page.click('section.op a[href="#schema-Lookup"]');
  await expect(page.locator('#schema-Lookup').isVisible()).resolves.toBe(true);
  expect(requested.filter((url) => !url.startsWith(h.baseUrl))).toEqual([]);
  expect(violations).toEqual([]);
});
