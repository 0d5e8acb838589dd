/**
 * The README's first tour of the portal, in a real browser, by clicking alone on the demo data: an
 * analyst's search and request, the responder's answer and approval, the analyst's disclosure and the
 * DPO's review. Nothing is typed into the address bar after the start page.
 */
import type { Page } from 'playwright-core';
import { screenshot, startPortal, type PortalHarness } from '../helpers/browser';

jest.setTimeout(90_000);

let h: PortalHarness;
let page: Page;
const CASE = 'NL-2026-004242';
const serverErrors: string[] = [];

beforeAll(async () => {
  h = await startPortal({ FSG_DEMO_DATASETS: 'true' });
  page = await h.newPage();
  page.on('response', (r) => {
    if (r.status() >= 400) serverErrors.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
});
afterAll(async () => {
  if (h) await h.close();
});

async function signInAs(user: string): Promise<void> {
  if (await page.locator('button:has-text("Sign out")').count())
    await page.click('button:has-text("Sign out")');
  await page.click(`button[data-user="${user}"]`);
  await page.waitForSelector('h1:has-text("Welcome")');
}

it('follows the README tour from search to the DPO’s review by clicking', async () => {
  await page.goto(`${h.baseUrl}/portal/`);
  expect((await page.locator('h1').innerText()).trim()).toBe('Sign in');

  await signInAs('anna');
  await page.click('text=Search identifiers');
  await page.fill('#identifiers', 'hin:NL-HXAB7A33G293');
  await page.fill('#caseRef', CASE);
  await page.click('button:has-text("Search")');
  const hits = page.locator('main table:has(caption:has-text("Hits")) tbody tr');
  expect(await hits.allInnerTexts()).toEqual([
    expect.stringContaining('boatreg-nl'),
    expect.stringContaining('insureco'),
  ]);
  await hits.filter({ hasText: 'boatreg-nl' }).locator('a:has-text("Request details")').click();
  // Personal fields are not ticked by default: the analyst asks for the (pseudonymised) owner.
  await page.check('input[name=fields][value="owner.name"]');
  await page.selectOption('#purpose', 'stolen-property-investigation');
  await page.fill('#caseRef', CASE);
  await page.click('button:has-text("Send the request")');
  expect(await page.locator('.state').innerText()).toBe('Awaiting the provider');
  await screenshot(page, 'tour-1-request-sent');

  await signInAs('bram');
  await page.click('nav >> text=Inbox');
  const row = page.locator('tr', { hasText: CASE });
  expect(await row.innerText()).toContain('NL8841AB');
  await row.locator(`a:has-text("${CASE}")`).click();
  await page.click('button:has-text("Answer with the records hit")');
  expect((await page.locator('.output-check').innerText()).trim()).toBe('pass');
  const preview = await page.locator('table', { hasText: 'owner.name' }).innerText();
  expect(preview).toContain('NL-HXAB7A33G293');
  expect(preview).not.toContain('Jan Pietersen'); // pseudonymised before it can leave
  await screenshot(page, 'tour-2-preview');
  await page.click('button:has-text("Approve and release")');
  expect(await page.locator('.state').innerText()).toBe('Disclosed');

  await signInAs('anna');
  await page.click('nav >> text=My requests');
  await page.locator('tr', { hasText: CASE }).locator('a').first().click();
  await page
    .locator('a', { hasText: /disclosure/i })
    .first()
    .click();
  const disclosure = await page.locator('main').innerText();
  expect(disclosure).toContain('TLP:AMBER');
  expect(disclosure).toMatch(/Time left: \d+ days/);
  await screenshot(page, 'tour-3-disclosure');

  await signInAs('dana');
  await page.click('nav >> text=Disclosure log');
  const log = await page.locator('table.log').innerText();
  for (const type of ['lookup', 'decision', 'disclosure', 'disclosure.read'])
    expect(log).toMatch(new RegExp(`\\b${type.replace('.', '\\.')}\\b`));
  await page.click('button:has-text("Verify the log now")');
  expect((await page.locator('.verify-result').innerText()).trim()).toBe('Intact');
  await page.click('nav >> text=Activity');
  expect(
    await page.locator('section.activity', { hasText: 'stolen-boats' }).locator('p').first().innerText(),
  ).toMatch(
    /1 request and 1 hit\/no-hit lookup decided: 2 permitted, 0 denied; 1 disclosure releasing 3 records/,
  );
  await screenshot(page, 'tour-4-activity');
  // A narrow screen: the charts scale down and nothing but the tables scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => {
    const doc = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return doc.scrollWidth - doc.clientWidth;
  });
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, 'tour-4-activity-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(serverErrors).toEqual([]);
});
