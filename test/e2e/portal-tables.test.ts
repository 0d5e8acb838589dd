/**
 * Tables in a real browser (Debian's chromium via playwright-core): an analyst asks for a table on the
 * form, the responder previews it cell by cell and approves, the analyst reads the released table under
 * its handling and downloads it as CSV; and under four eyes, two responders approve a table in turn.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { screenshot, signIn, startPortal, type PortalHarness } from '../helpers/browser';
import { boatClaims, uploadClaims } from '../helpers/claims';
import { addSecondResponders, bearerOf, fourEyesBundle } from '../helpers/four-eyes';

jest.setTimeout(60_000);

/** Quicksilver fails the threshold; Sealine is suppressed as its complement. */
const CLAIMS = { Bayliner: 24, Beneteau: 13, Quicksilver: 3, Sealine: 11 };

/** The analyst's form, step by step: a count of boats by make from the insurer's claims. */
async function askForTable(page: Page, caseRef: string): Promise<string> {
  await page.click('nav >> text=New table');
  await page.selectOption('#agreement', 'stolen-boats');
  await page.click('button:has-text("Continue")');
  await page.selectOption('#dataset', 'insureco/theft-claims');
  await page.click('button:has-text("Continue")');
  await page.selectOption('#dimension1', 'make');
  await page.selectOption('#measure', 'count');
  await page.selectOption('#objectType', 'boat');
  await page.selectOption('#purpose', 'stolen-property-investigation');
  await page.fill('#caseRef', caseRef);
  await page.click('button:has-text("Ask for the table")');
  await page.waitForURL(/\/portal\/requests\/[0-9a-f-]{36}$/);
  return page.url();
}

/** The rows of the table captioned `caption`: each row's cells' text. */
async function tableRowsOf(page: Page, caption: string): Promise<string[][]> {
  const rows = page.locator('table', { hasText: caption }).locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    out.push((await rows.nth(i).locator('th, td').allInnerTexts()).map((t) => t.trim()));
  }
  return out;
}

describe('a table from the analyst’s form to the released table', () => {
  let h: PortalHarness;
  let page: Page;
  let requestUrl = '';
  const CASE = 'NL-2026-000801';

  beforeAll(async () => {
    h = await startPortal();
    await uploadClaims(h.gw, boatClaims(CLAIMS));
    page = await h.newPage();
  });
  afterAll(async () => {
    if (h) await h.close();
  });

  it('analyst: asks for a count of boats by make; it waits for the provider', async () => {
    await signIn(page, h.baseUrl, 'anna');
    requestUrl = await askForTable(page, CASE);
    expect(await page.locator('.flash').innerText()).toContain('waits for the provider’s approval');
    expect(await page.locator('.table-query').innerText()).toBe('count of boat by make');
    await screenshot(page, 'table-analyst-asked');
  });

  it('responder: previews each entry with its status and why, then approves', async () => {
    await signIn(page, h.baseUrl, 'iris');
    await page.click('nav >> text=Inbox');
    await page.locator('tr', { hasText: CASE }).locator(`a:has-text("${CASE}")`).click();
    expect(await tableRowsOf(page, 'The table that will be released')).toEqual([
      ['Bayliner', '25', 'rounded to 5', ''],
      ['Beneteau', '15', 'rounded to 5', ''],
      ['(all)', '50', 'rounded to 5', ''],
    ]);
    expect(await page.locator('.behind').innerText()).toContain(
      '2 entries (SDC_THRESHOLD × 1, SDC_SECONDARY × 1)',
    );
    expect(await page.locator('form[action$="/answer"]').count()).toBe(0);
    await screenshot(page, 'table-responder-preview');
    await page.click('button:has-text("Approve and release")');
    expect(await page.locator('.flash').innerText()).toContain('Released to police-nl');
  });

  it('analyst: reads the released table under its handling and downloads it as CSV', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await page.goto(requestUrl);
    await page.click('text=Read the disclosure');
    expect(await page.locator('.banner').innerText()).toContain('TLP:AMBER');
    expect(await tableRowsOf(page, 'Released table')).toEqual([
      ['Bayliner', '25', 'rounded to 5'],
      ['Beneteau', '15', 'rounded to 5'],
      ['(all)', '50', 'rounded to 5'],
    ]);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/Quicksilver|Sealine|SDC_/);
    await screenshot(page, 'table-analyst-released');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('text=Download the table (CSV)'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^table-[0-9a-f-]{36}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^\uFEFF# TLP:AMBER — /);
    expect(csv.slice(1, 5)).toEqual([
      'make,count,status,entry',
      'Bayliner,25,rounded,cell',
      'Beneteau,15,rounded,cell',
      '(all),50,rounded,total',
    ]);
  });
});

describe('four eyes: two responders approve a table in turn', () => {
  let h: PortalHarness;
  let page: Page;
  const CASE = 'NL-2026-000802';

  beforeAll(async () => {
    h = await startPortal({ FSG_POLICY_DIR: fourEyesBundle(true) });
    await addSecondResponders(h.gw);
    await uploadClaims(h.gw, boatClaims(CLAIMS));
    page = await h.newPage();
  });
  afterAll(async () => {
    if (h) await h.close();
  });

  it('the first approval releases nothing; another responder releases it; the analyst reads it', async () => {
    await signIn(page, h.baseUrl, 'anna');
    const requestUrl = await askForTable(page, CASE);

    await signIn(page, h.baseUrl, 'iris');
    await page.goto(requestUrl);
    await page.selectOption('#approve-tlp', 'RED');
    await page.click('button:has-text("Approve (first of two)")');
    expect(await page.locator('.flash').innerText()).toContain('First approval recorded');
    expect(await page.locator('.state').innerText()).toBe('Answered (preview, not yet released)');
    expect(await page.locator('button:has-text("Approve and release")').count()).toBe(1);
    await screenshot(page, 'table-four-eyes-first');

    // ivo is insureco's second responder, not a demo user: he signs in with a token of his own.
    await page.context().clearCookies();
    await page.goto(`${h.baseUrl}/portal/sign-in`);
    await page.fill('#token', (await bearerOf(h.gw, 'ivo')).Authorization.slice('Bearer '.length));
    await page.click('form:has(#token) button:has-text("Sign in")');
    await page.waitForURL(`${h.baseUrl}/portal/`);
    await page.goto(requestUrl);
    expect(await page.locator('[role=note]').innerText()).toContain('first approved by iris');
    expect(await page.locator('#approve-tlp').inputValue()).toBe('RED');
    await page.click('button:has-text("Approve and release")');
    expect(await page.locator('.flash').innerText()).toContain('Released to police-nl');
    await screenshot(page, 'table-four-eyes-second');

    await signIn(page, h.baseUrl, 'anna');
    await page.goto(requestUrl);
    await page.click('text=Read the disclosure');
    expect(await page.locator('.banner').innerText()).toContain('TLP:RED');
    expect((await tableRowsOf(page, 'Released table'))[0]).toEqual(['Bayliner', '25', 'rounded to 5']);

    const disclosure = (await h.gw.store.audit.read(1, 100_000)).find(
      (e) => e.type === 'disclosure' && e.data.caseRef === CASE,
    )!;
    expect([disclosure.actorUser, disclosure.data.preparedBy]).toEqual([
      'ivo',
      { partnerId: 'insureco', userId: 'iris' },
    ]);
  });
});
