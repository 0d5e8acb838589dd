/**
 * The partnership itself, in a real browser, by clicking as its people would (issue 21's "Done when"):
 * an admin screens a partner; every party's legal contact accepts a new version of the agreement; a
 * question reaches three providers and one answers; an analyst records what a disclosure led to; a
 * contact point reads the report and prints it; a DPO finds the disclosure in a subject access report;
 * the public transparency page lists the agreement; a partner whose screening has lapsed is refused,
 * with the reason, and the report shows the lapse.
 *
 * Setup without pages: the bundle copy and a first start of the gateway on the same data folder (where
 * the demo accepts version 4 for every party), then version 5 in the bundle. Nothing else goes round
 * the portal: no API call, no store write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Locator, type Page } from 'playwright-core';
import {
  ARTIFACTS,
  CHROMIUM,
  CHROMIUM_ARGS,
  screenshot,
  sendBoatRequest,
  signIn,
  startPortal,
  type PortalHarness,
} from '../helpers/browser';
import { edit } from '../helpers/bundle-copy';
import { createTestGateway } from '../helpers/gateway';
import { threeProviderBundle } from '../helpers/questions';

jest.setTimeout(120_000);

const DAY_MS = 24 * 60 * 60 * 1000;
/** A UTC day `offset` days from today (the test moves no clock). */
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

const AGREEMENT = 'Tracing stolen boats and boat engines';
const PARTIES = ['police-nl', 'boatreg-nl', 'insureco', 'autodealers-nl'];
const LEGAL = { 'police-nl': 'lotte', 'boatreg-nl': 'ruben', insureco: 'ivo', 'autodealers-nl': 'joost' };
const QUESTION_CASE = 'NL-2026-000901';
const QUESTION = 'Taken from a marina near Lelystad last week. Seen or insured anywhere?';
const DISCLOSED_CASE = 'NL-2026-000902';
const REFUSED_CASE = 'NL-2026-000903';
const LAPSED_REVIEW = day(-2);
/** Not the demo's (a year on): the report shows ada's screening, not the seeded one. */
const NEXT_REVIEW = day(300);

const policies = threeProviderBundle();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-partnership-e2e-'));
const env = { FSG_DATA_DIR: dataDir, FSG_POLICY_DIR: policies, FSG_DEMO_DATASETS: 'true' };

let h: PortalHarness;
let page: Page;
let requestId: string;
const serverErrors: string[] = [];

beforeAll(async () => {
  // The first start seeds the demo: every party accepts version 4, every partner is cleared.
  const first = await createTestGateway(env);
  await first.close();
  edit(path.join(policies, 'agreements', 'stolen-boats.yaml'), /^version: 4$/m, 'version: 5');
  h = await startPortal(env);
  page = await h.newPage();
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
});
afterAll(async () => {
  if (h) await h.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(path.dirname(policies), { recursive: true, force: true });
});

const nav = (label: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
const text = async (locator: Locator) => (await locator.innerText()).trim();
/** The flash of the page a form's redirect led to: waiting for it is waiting for that page. */
const flash = () => text(page.locator('.flash'));
const row = (hasText: string | RegExp, scope: Page | Locator = page) => scope.locator('tr', { hasText });

/** An admin's screening of a partner, through the form on the partner's screening page. */
async function recordScreening(
  partnerId: string,
  s: { reviewedOn?: string; outcome: string; conditions?: string; nextReviewOn: string },
) {
  await signIn(page, h.baseUrl, 'ada');
  await nav('Partners');
  await page
    .locator(`#partner-${partnerId}`)
    .getByRole('link', { name: 'History and new screening' })
    .click();
  if (s.reviewedOn) await page.getByLabel('Reviewed on').fill(s.reviewedOn);
  await page.getByLabel('Outcome').selectOption(s.outcome);
  if (s.conditions) await page.getByLabel(/^Conditions/).fill(s.conditions);
  await page.getByLabel('Risk notes').fill('Due diligence on the partner’s handling of shared data.');
  await page.getByLabel('Point of contact: name').fill('Partnership desk');
  await page.getByLabel('Point of contact: email').fill(`desk@${partnerId}.example`);
  await page.getByLabel(/^Next review on/).fill(s.nextReviewOn);
  await page.getByRole('button', { name: 'Record the screening' }).click();
  // A next review date already past records a lapse, and the page says so.
  const lapse = s.nextReviewOn < new Date().toISOString().slice(0, 10);
  expect(await flash()).toBe(
    `Recorded the screening of ${partnerId}${lapse ? ': its next review date is past, so it takes part in no exchange' : ''}.`,
  );
}

/** A contact point's way to the agreement's report: home, its reports link, then the agreement. */
async function openReport() {
  await page.getByRole('link', { name: 'Five Safes Gateway' }).click();
  await page.getByRole('link', { name: /^Reports: monitoring and evaluation/ }).click();
  await page.getByRole('link', { name: AGREEMENT }).click();
  expect(await text(page.locator('h1'))).toMatch(new RegExp(`^Report: ${AGREEMENT}, \\d{4}-Q[1-4]$`));
}

/** A report table's row, its cells' text by column header. */
async function reportRow(caption: string | RegExp, rowHeader: string): Promise<Record<string, string>> {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) });
  const headers = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
  const cells = (
    await table
      .locator('tbody tr', { has: page.getByRole('rowheader', { name: rowHeader, exact: true }) })
      .locator('th, td')
      .allInnerTexts()
  ).map((t) => t.trim());
  return Object.fromEntries(headers.map((header, i) => [header, cells[i]]));
}

describe('the partnership, by clicking', () => {
  it('1. an admin records a screening of a partner', async () => {
    await recordScreening('autodealers-nl', {
      outcome: 'cleared-with-conditions',
      conditions: 'Engine sales records only',
      nextReviewOn: NEXT_REVIEW,
    });
    expect(await text(page.locator('p strong.status'))).toBe(
      `cleared with conditions, next review ${NEXT_REVIEW}`,
    );
    const newest = await text(
      page.locator('table', { hasText: 'Screenings, newest first' }).locator('tbody tr').first(),
    );
    expect(newest).toContain('cleared-with-conditions');
    expect(newest).toContain('Engine sales records only');
    expect(newest).toContain('ada (gateway)');
    await screenshot(page, 'partnership-1-screening');
  });

  it('2. each party’s legal contact accepts the new version; then it is in force', async () => {
    for (const [i, partnerId] of PARTIES.entries()) {
      await signIn(page, h.baseUrl, LEGAL[partnerId as keyof typeof LEGAL]);
      await nav('Agreements');
      const listed = await text(page.locator('#agreement-stolen-boats .status'));
      expect(listed).toBe(`awaiting ${PARTIES.slice(i).join(', ')}`);
      await page.getByRole('link', { name: AGREEMENT }).click();
      expect(await text(page.locator(`#party-${partnerId}`))).toContain('version 4 (not this version)');
      await page
        .getByRole('checkbox', { name: /I accept this version, including its confidentiality commitment$/ })
        .check();
      await page.getByRole('button', { name: 'Accept version 5' }).click();
      expect(await flash()).toBe('Accepted version 5.');
      expect(await text(page.locator(`#party-${partnerId}`))).toContain(
        `version 5, by ${LEGAL[partnerId as keyof typeof LEGAL]} (legal)`,
      );
    }
    expect(await text(page.locator('p strong.status'))).toBe('in force');
    await screenshot(page, 'partnership-2-in-force');
  });

  it('3. a question reaches three providers, one answers “no information”, the analyst reads it', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await nav('Ask all providers');
    await page.getByLabel('1. Agreement').selectOption('stolen-boats');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('main').innerText()).toContain('boatreg-nl, insureco, autodealers-nl');
    await page.getByLabel('Identifiers, one per line as type:value').fill('hin:NL-HXAB7A33G293');
    await page.getByLabel('The question').fill(QUESTION);
    await page.getByLabel('Purpose').selectOption('stolen-property-investigation');
    await page.getByLabel('Case reference').fill(QUESTION_CASE);
    await page.getByRole('button', { name: 'Ask all providers' }).click();
    expect(await flash()).toBe('Question sent: 3 of 3 provider(s) have it in their inbox.');

    for (const responder of ['bram', 'dirk', 'iris']) {
      await signIn(page, h.baseUrl, responder);
      await nav('Inbox');
      const item = await text(row(QUESTION_CASE));
      expect(item).toContain('Question to all providers');
      expect(item).toContain(QUESTION);
    }
    // iris (insureco) holds nothing on it.
    await row(QUESTION_CASE).getByRole('link', { name: QUESTION_CASE }).click();
    await page.getByRole('button', { name: 'Answer: no information' }).click();
    expect(await flash()).toBe('Answered: no information.');

    await signIn(page, h.baseUrl, 'anna');
    await nav('My requests');
    await row(QUESTION_CASE).filter({ hasText: 'insureco' }).getByRole('link').click();
    await page.getByRole('link', { name: 'Every provider’s answer' }).click();
    expect(await text(page.locator('h1'))).toBe('Question to all providers');
    const answers = page.locator('table', { hasText: 'Each provider’s answer' });
    expect(await text(row('insureco', answers))).toContain(
      'No information (the provider holds nothing on it)',
    );
    for (const provider of ['boatreg-nl', 'autodealers-nl'])
      expect(await text(row(provider, answers))).toContain('Awaiting the provider');
    await screenshot(page, 'partnership-3-question');
  });

  it('4. an analyst records what a disclosure led to', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await sendBoatRequest(page, DISCLOSED_CASE);
    expect(await text(page.locator('.state'))).toBe('Awaiting the provider');
    requestId = /\/portal\/requests\/([0-9a-f-]{36})$/.exec(page.url())![1];

    await signIn(page, h.baseUrl, 'bram');
    await nav('Inbox');
    await row(DISCLOSED_CASE).getByRole('link', { name: DISCLOSED_CASE }).click();
    await page.getByRole('button', { name: 'Answer with the records hit' }).click();
    expect(await text(page.locator('.output-check'))).toBe('pass');
    await page.getByRole('button', { name: 'Approve and release' }).click();
    expect(await text(page.locator('.state'))).toBe('Disclosed');

    await signIn(page, h.baseUrl, 'anna');
    await nav('My requests');
    await row(DISCLOSED_CASE).getByRole('link').click();
    const outcomes = page.locator('section.outcomes');
    expect(await text(outcomes.locator('h2'))).toBe('What did this lead to?');
    await outcomes.getByLabel('Outcome', { exact: true }).selectOption('object-recovered');
    await outcomes.getByLabel(/^Note/).fill('Recovered at a marina in Lelystad.');
    await outcomes.getByRole('button', { name: 'Record the outcome' }).click();
    expect(await flash()).toBe('Outcome recorded.');
    const recorded = await text(outcomes.locator('tbody tr'));
    expect(recorded).toContain('object-recovered');
    expect(recorded).toContain('anna (police-nl)');
  });

  it('5. a contact point reads the report, and prints it to PDF without the navigation', async () => {
    await signIn(page, h.baseUrl, 'bram');
    await openReport();
    expect(await text(page.locator('section', { has: page.locator('#force-h') }).locator('p'))).toMatch(
      /^In force now; to be revised by \d{4}-\d{2}-\d{2}\.$/,
    );
    // The question's three requests and the disclosed one; the question itself; one disclosure.
    expect(await reportRow('Activity by month', 'Total')).toMatchObject({
      'Detail requests': '4',
      Questions: '1',
      Disclosures: '1',
      'Records released': '3',
    });
    expect(await reportRow(/^Goals/, 'Stolen boats and engines recovered')).toMatchObject({
      'Outcome counted': 'object-recovered',
      Achieved: '1',
    });
    expect(await text(page.locator('caption', { hasText: /^Goals/ }))).toContain('1 outcome(s) recorded');
    expect(await reportRow('Screening of the parties', 'autodealers-nl')).toMatchObject({
      Today: 'cleared with conditions: Engine sales records only',
      'Next review': NEXT_REVIEW,
    });
    const acceptances = await page
      .locator('table', { hasText: 'Acceptances and withdrawals' })
      .locator('tbody tr', { hasText: 'accepted' })
      .allInnerTexts();
    for (const partnerId of PARTIES)
      expect(acceptances.some((a) => a.includes(partnerId) && /\b5\b/.test(a))).toBe(true);
    await screenshot(page, 'partnership-5-report');

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('form.period-picker').isVisible()).toBe(false);
    expect(await page.locator('#outcomes-h').isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'partnership-report.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Each section starts a page of its own.
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length).toBeGreaterThan(1);
    await page.emulateMedia({ media: 'screen' });
  });

  it('6. a DPO finds the disclosure in a subject access report for its identifier', async () => {
    await signIn(page, h.baseUrl, 'dana');
    await nav('Subject access');
    await page.selectOption('#sar-type', 'hin');
    await page.fill('#sar-value', 'NL-HXAB7A33G293');
    await page.getByRole('button', { name: 'Produce the report' }).click();
    expect(await text(page.locator('h1'))).toBe('Subject access report');
    const release = await text(page.locator(`#r-${requestId}`));
    expect(release).toContain(requestId);
    expect(release).toContain(DISCLOSED_CASE);
  });

  it('7. the public transparency page lists the agreement in force, to a browser never signed in', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const context = await browser.newContext();
      const visitor = await context.newPage();
      const res = await visitor.goto(`${h.baseUrl}/transparency`);
      expect(res?.status()).toBe(200);
      expect(visitor.url()).toBe(`${h.baseUrl}/transparency`);
      expect(await context.cookies()).toEqual([]);
      const inForce = visitor.locator('#agreement-stolen-boats');
      expect(await text(inForce.locator('h3'))).toBe(`${AGREEMENT} (stolen-boats, version 5)`);
      expect(await text(inForce.locator('p.status'))).toMatch(/^In force: valid 2026-01-01 to 2030-12-31/);
      // Every party with its data protection officer (a party that named none says so).
      const parties = inForce.locator('table', { hasText: 'Data protection officer' }).locator('tbody tr');
      expect((await parties.allInnerTexts()).map((r) => r.split('\t')[0].trim())).toEqual([
        'Politie Nederland',
        'Nederlands Bootregister',
        'InsureCo Europe',
        'Federatie Autodealers Nederland',
      ]);
      expect(await visitor.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      await visitor.screenshot({
        path: path.join(ARTIFACTS, 'partnership-7-transparency.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  });

  it('8. a partner whose screening lapsed is refused with the reason, and the report shows the lapse', async () => {
    // A review a year ago whose next review was due two days ago, recorded late: lapsed at once.
    await recordScreening('police-nl', {
      reviewedOn: day(-365),
      outcome: 'cleared',
      nextReviewOn: LAPSED_REVIEW,
    });
    expect(await text(page.locator('p strong.status'))).toBe(
      `lapsed (review overdue), next review ${LAPSED_REVIEW}`,
    );

    await signIn(page, h.baseUrl, 'anna');
    await sendBoatRequest(page, REFUSED_CASE);
    expect(await text(page.locator('h1'))).toBe('Request refused');
    const refusal = await text(page.locator('.error[role=alert]'));
    expect(refusal).toMatch(/^Refused\. One safe failed:/);
    expect(refusal).toContain('(PROJECT_PARTNER_SCREENING_LAPSED)');
    expect(refusal).toContain(`police-nl: review due ${LAPSED_REVIEW}`);
    await screenshot(page, 'partnership-8-refused');

    await openReport();
    expect(await reportRow('Screening of the parties', 'police-nl')).toMatchObject({
      Today: 'lapsed',
      'Next review': LAPSED_REVIEW,
      // A lapse dates from the day after the review was due, though recorded later.
      'During the period': expect.stringMatching(new RegExp(`lapsed since ${day(-1)}$`)),
    });
    expect(await reportRow('Denials by reason', 'PROJECT_PARTNER_SCREENING_LAPSED')).toMatchObject({
      Denials: '1',
    });
    await screenshot(page, 'partnership-8-report');
    expect(serverErrors).toEqual([]);
  });
});
