/**
 * A DPO produces a subject access report in a real browser: from the navigation, by identifier and by
 * name and date of birth, and prints it without the portal's navigation.
 */
import type { Page } from 'playwright-core';
import { answeredRequests } from '../helpers/gateway';
import { screenshot, signIn, startPortal, type PortalHarness } from '../helpers/browser';

jest.setTimeout(60_000);

let h: PortalHarness;
let page: Page;
let requestId: string;

beforeAll(async () => {
  h = await startPortal();
  page = await h.newPage();
  await answeredRequests(
    h.gw,
    1,
    () => 'NL-2026-000888',
    () => 'approve',
  );
  [{ id: requestId }] = await h.gw.store.requests.listByRequester('police-nl', 'anna');
});
afterAll(async () => {
  if (h) await h.close();
});

it('DPO: produces a subject access report by identifier and by person, printable', async () => {
  await signIn(page, h.baseUrl, 'dana');
  await page.click('nav >> text=Subject access');
  await page.selectOption('#sar-type', 'hin');
  await page.fill('#sar-value', 'NL-HXAB7A33G293');
  await page.click('button:has-text("Produce the report")');
  expect((await page.locator('h1').innerText()).trim()).toBe('Subject access report');
  const disclosures = await page.locator(`#r-${requestId}`).innerText();
  expect(disclosures).toContain(requestId);
  expect(disclosures).toContain('NL-2026-000888');
  await screenshot(page, 'dpo-subject-access');

  // On paper: the report without the navigation.
  await page.emulateMedia({ media: 'print' });
  expect(await page.locator('header.top').isVisible()).toBe(false);
  expect(await page.locator(`#r-${requestId}`).isVisible()).toBe(true);
  await page.emulateMedia({ media: 'screen' });

  await page.click('a:has-text("Another report")');
  await page.fill('#sar-name', 'Jan Pietersen');
  await page.fill('#sar-dob', '1970-04-02');
  await page.click('button:has-text("Produce the report")');
  const byPerson = await page.locator(`#r-${requestId}`).innerText();
  expect(byPerson).toContain(requestId);
  expect(byPerson).toContain('by name and date of birth');
});
