/**
 * The portal in a real browser (Debian's chromium via playwright-core): each role's main path by
 * clicking, the CSP against injected scripts, and CSRF refusal. Screenshots go to test-artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot, sendBoatRequest, signIn, startPortal, type PortalHarness } from '../helpers/browser';

jest.setTimeout(60_000);

let h: PortalHarness;
let page: Page;
let requestUrl = '';
const CASE = 'NL-2026-000777';
const XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

beforeAll(async () => {
  h = await startPortal();
  page = await h.newPage();
});
afterAll(async () => {
  if (h) await h.close();
});

const newBoatRequest = (caseRef: string) => sendBoatRequest(page, caseRef);

describe('portal, role by role', () => {
  it('analyst: a refused request says which safe failed, a permitted one reaches the provider', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await newBoatRequest('not-a-case');
    expect((await page.locator('h1').innerText()).trim()).toBe('Request refused');
    const refusal = await page.locator('[role=alert]').innerText();
    expect(refusal).toContain('Safe project');
    await screenshot(page, 'analyst-denied');

    await newBoatRequest(CASE);
    await page.waitForURL(/\/portal\/requests\/[0-9a-f-]{36}$/);
    requestUrl = page.url();
    expect(await page.locator('.flash').innerText()).toContain('provider’s inbox');
    expect(await page.locator('.state').innerText()).toBe('Awaiting the provider');
    await screenshot(page, 'analyst-request');
  });

  it('responder: uploads an answer through the adapter, previews, approves', async () => {
    await signIn(page, h.baseUrl, 'bram');
    await page.click('nav >> text=Inbox');
    const row = page.locator('tr', { hasText: CASE });
    expect(await row.innerText()).toContain('stolen-property-investigation');
    await row.locator(`a:has-text("${CASE}")`).click();
    expect(await page.locator('dl.facts').innerText()).toContain('Art. 6(1)(e) GDPR');

    const csv = fs
      .readFileSync(path.resolve(__dirname, '../../adapters/boatreg-nl/fixtures/sample.csv'), 'utf8')
      .split('\n');
    const file = path.join(h.gw.dataDir, 'answer.csv');
    fs.writeFileSync(
      file,
      [csv[0], csv[1], 'NL-0000-XX,Kapot,NL-HXAB7A33Z293,Bayliner,VR5,white,2019,registered,,,,,,,,,'].join(
        '\n',
      ),
    );
    await page.selectOption('#adapter', 'boatreg-nl');
    await page.setInputFiles('#file', file);
    await page.click('button:has-text("Upload and preview")');
    expect((await page.locator('.output-check').innerText()).trim()).toBe('pass');
    const released = await page.locator('table', { hasText: 'Records that will be released' }).innerText();
    expect(released).toContain('NL-HXAB7A33G293');
    expect(released).not.toContain('Jan Pietersen'); // pseudonymised
    expect(await page.locator('table', { hasText: 'Quarantined rows' }).innerText()).toContain(
      'Quarantined rows (1)',
    );
    await screenshot(page, 'responder-preview');
    await page.click('button:has-text("Approve and release")');
    expect(await page.locator('.flash').innerText()).toContain('Released to police-nl');
  });

  it('analyst: reads the disclosure with its handling banner and the time left', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await page.click('nav >> text=My requests');
    await page.locator('tr', { hasText: CASE }).locator('a').first().click();
    await page.click('text=Read the disclosure');
    const banner = await page.locator('.banner').innerText();
    expect(banner).toContain('TLP:AMBER');
    expect(banner).toContain('need-to-know');
    expect(banner).toContain('No onward disclosure');
    expect(await page.locator('.time-left').innerText()).toMatch(/^29 days|^30 days/);
    expect(await page.locator('table').innerText()).toContain('NL-HXAB7A33G293');
    await screenshot(page, 'analyst-disclosure');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'analyst-disclosure-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('DPO: finds the disclosure in the log, searches by person, verifies the log', async () => {
    const requestId = requestUrl.split('/').pop()!;
    await signIn(page, h.baseUrl, 'dana');
    await page.click('nav >> text=Disclosure log');
    await page.fill('#f-request', requestId);
    await page.click('button:has-text("Filter")');
    const log = await page.locator('table.log').innerText();
    expect(log).toMatch(/\bdisclosure\b/);
    expect(log).toContain('disclosure.read');
    await page.click('a:has-text("Clear")');
    await page.fill('#f-subject', 'Jan Pietersen');
    await page.click('button:has-text("Filter")');
    expect(await page.locator('table.log').innerText()).toMatch(/\bdisclosure\b/);
    await screenshot(page, 'dpo-log');
    await page.click('button:has-text("Verify the log now")');
    expect((await page.locator('.verify-result').innerText()).trim()).toBe('Intact');

    // Today's export for police-nl, downloaded from the filtered export form.
    await page.click('nav >> text=Disclosure log');
    const today = new Date().toISOString().slice(0, 10);
    await page.fill('#x-from', today);
    await page.fill('#x-to', today);
    await page.fill('#x-partner', 'police-nl');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button:has-text("Export JSON Lines")'),
    ]);
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    const entries = lines.map((l) => JSON.parse(l) as { seq?: number; ts?: string; partners?: string[] });
    expect(entries.filter((e) => e.seq !== undefined).length).toBeGreaterThan(0);
    for (const e of entries.filter((x) => x.seq !== undefined)) {
      expect([e.ts!.slice(0, 10), e.partners!.includes('police-nl')]).toEqual([today, true]);
    }

    // Activity by agreement: the charts are drawn, coloured by the stylesheet the CSP allows.
    await page.click('nav >> text=Activity');
    const section = page.locator('section.activity', { hasText: 'stolen-boats' });
    expect(await section.locator('p').first().innerText()).toMatch(
      /\d+ requests? and \d+ hit\/no-hit lookups? decided: \d+ permitted, [1-9]\d* denied/,
    );
    const fill = await section
      .locator('rect.bar-permit')
      .first()
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el)
            .fill,
      );
    expect(fill).toBe('rgb(0, 158, 115)');
    expect(await section.locator('svg[role=img]').count()).toBe(2);
    await screenshot(page, 'dpo-activity');
  });

  it('admin: suspends a user, who then can do nothing', async () => {
    await signIn(page, h.baseUrl, 'ada');
    await page.click('nav >> text=Accreditations');
    const row = page.locator('#user-police-nl-tom');
    await row.locator('input[name=reason]').fill('left the unit');
    await row.locator('button:has-text("Suspend tom")').click();
    expect((await page.locator('#user-police-nl-tom .status').innerText()).trim()).toBe('suspended');
    await screenshot(page, 'admin-accreditations');
    await signIn(page, h.baseUrl, 'tom');
    expect(await page.locator('main').innerText()).toContain('does not allow any task');
    const blocked = await page.goto(`${h.baseUrl}/portal/requests`);
    expect(blocked?.status()).toBe(403);
  });
});

describe('portal security in the browser', () => {
  it('renders a stored <script> as text, and the CSP blocks injected inline scripts', async () => {
    await signIn(page, h.baseUrl, 'anna');
    await newBoatRequest('NL-2026-000778');
    await page.waitForURL(/\/portal\/requests\/[0-9a-f-]{36}$/);
    const url = page.url();
    await signIn(page, h.baseUrl, 'bram');
    await page.goto(url);
    await page.fill('#decline-reason', XSS);
    await page.click('button:has-text("Decline")');
    await signIn(page, h.baseUrl, 'anna');
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const response = await page.goto(url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.locator('.decline-reason').innerText()).toBe(XSS);
    // An inline script injected into the page is refused by the CSP (and the console says so).
    const violation = page.waitForEvent('console', {
      predicate: (m) => /Content Security Policy/i.test(m.text()),
      timeout: 5000,
    });
    await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.body.appendChild(s);
    })()`);
    expect((await violation).text()).toMatch(/script-src/);
    const state = await page.evaluate('[typeof window.__pwned, typeof window.__injected]');
    expect(state).toEqual(['undefined', 'undefined']);
    expect(violations.length).toBeGreaterThan(0);
    await screenshot(page, 'xss-escaped');
  });

  it('refuses a form posted without its CSRF token', async () => {
    await page.goto(`${h.baseUrl}/portal/requests/new?agreement=stolen-boats&dataset=boatreg-nl/vessels`);
    await page.fill('#identifiers', 'hin:NL-HXAB7A33G293');
    await page.fill('#caseRef', 'NL-2026-000779');
    const removed = await page.evaluate(`(() => {
      const inputs = document.querySelectorAll('form[action="/portal/requests"] input[name=_csrf]');
      inputs.forEach((i) => i.remove());
      return inputs.length;
    })()`);
    expect(removed).toBe(1);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('button:has-text("Send the request")'),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.locator('[role=alert]').innerText()).toContain('security token');
    await page.click('nav >> text=My requests');
    expect(await page.locator('main').innerText()).not.toContain('NL-2026-000779');
  });
});
