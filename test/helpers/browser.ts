/**
 * A real browser for the portal's end-to-end tests: Debian's chromium driven by playwright-core, with a
 * fresh profile. A missing chromium is a failure with a clear message, never a skip.
 */
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createGatewayServer } from '../../src/http/server';
import { createTestGateway, type TestGateway } from './gateway';

export const CHROMIUM = process.env.FSG_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, and quiet: no background requests of the browser's own among the page's. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');

export interface PortalHarness {
  gw: TestGateway;
  baseUrl: string;
  context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** A free port on 127.0.0.1 now (for a gateway whose address must be known before it starts). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startPortal(env: NodeJS.ProcessEnv = {}, port = 0): Promise<PortalHarness> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (.ci/run does).`,
    );
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const gw = await createTestGateway(env);
  const server: Server = await new Promise((resolve) => {
    const s = createGatewayServer(gw).listen(port, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fsg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(10_000);
  return {
    gw,
    baseUrl,
    context,
    newPage: async (viewport) => {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gw.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Signs in as a demo user by clicking their button on the sign-in page. */
export async function signIn(page: Page, baseUrl: string, userId: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/portal/sign-in`);
  await page.click(`button[data-user="${userId}"]`);
  await page.waitForURL(`${baseUrl}/portal/`);
}

/** An analyst's detail request to boatreg-nl's vessels under stolen-boats, through the guided form. */
export async function sendBoatRequest(page: Page, caseRef: string): Promise<void> {
  await page.click('nav >> text=New request');
  await page.selectOption('#agreement', 'stolen-boats');
  await page.click('button:has-text("Continue")');
  await page.selectOption('#dataset', 'boatreg-nl/vessels');
  await page.click('button:has-text("Continue")');
  await page.fill('#identifiers', 'hin:NL-HXAB7A33G293');
  await page.selectOption('#purpose', 'stolen-property-investigation');
  await page.fill('#caseRef', caseRef);
  await page.click('button:has-text("Send the request")');
}
