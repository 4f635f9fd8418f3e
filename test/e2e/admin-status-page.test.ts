import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { CliProcess } from '../helpers/cli';
import { ADMIN_TOKEN, ZONE, curlIngress, startAdminGateway, startAgent, webService, type AdminGateway } from './admin-fixture';

/*
 * The browser's globals, for the callbacks page.evaluate() runs in Chromium. Declared here,
 * not through the DOM lib, so that Node-side code in the other tests cannot use them.
 */
declare const localStorage: { getItem(key: string): string | null };
declare const document: { querySelector(selector: string): object | null };
declare function getComputedStyle(element: object): { backgroundColor: string };
declare const performance: { getEntriesByType(type: 'navigation'): unknown[] };

/** Debian's Chromium (scripts/ensure-tools.js installs it). */
const CHROMIUM = '/usr/bin/chromium';

/**
 * The status page in headless Chromium (playwright-core): it asks for the token once, shows
 * the session of a real agent and its routes, and a request made through the HTTP ingress
 * appears in the live log without a reload; the search box filters; the inline script and
 * style pass the page's Content-Security-Policy (no console errors).
 */
describe('admin status page', () => {
  let gw: AdminGateway;
  let web: Awaited<ReturnType<typeof webService>>;
  let agent: CliProcess;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const problems: string[] = [];

  beforeAll(async () => {
    web = await webService('page-www');
    gw = await startAdminGateway();
    agent = await startAgent(gw, 'pageagent', { http: [`www=127.0.0.1:${web.port}`] });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.setDefaultTimeout(15000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
  });
  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await agent?.stop();
    await gw?.stop();
    await web?.close();
  });

  it('refuses a wrong token and keeps the login form', async () => {
    await page.goto(`http://127.0.0.1:${gw.admin}/`);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await page.fill('#token', 'not-the-token');
    await page.click('#login-submit');
    await page.locator('#login-error', { hasText: 'not accepted' }).waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('tfgw-admin-token'))).toBeNull();
    // The page itself asked the API and got 401 (the browser logs a failed resource load); nothing else went wrong.
    problems.splice(0);
  });

  it('shows the agent session and its route after the token is given once', async () => {
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login-submit');
    await page.locator('#app').waitFor({ state: 'visible' });
    const session = page.locator('#sessions tr', { hasText: 'pageagent' });
    await session.waitFor();
    expect(await session.textContent()).toContain('tcp');
    const route = page.locator('#routes tr', { hasText: `www.pageagent.${ZONE}` });
    await route.waitFor();
    expect(await route.textContent()).toContain('online');
    expect(await page.evaluate(() => localStorage.getItem('tfgw-admin-token'))).toBe(ADMIN_TOKEN);
  });

  it('adds a request made through the HTTP ingress to the live log without a reload', async () => {
    const before = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    expect(await curlIngress(gw.http, `www.pageagent.${ZONE}`, '/from-the-test?x=1')).toEqual({ status: 200, body: 'page-www /from-the-test?x=1' });
    const row = page.locator('#requests tr', { hasText: '/from-the-test?x=1' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('GET');
    expect(cells[2]).toBe(`www.pageagent.${ZONE}`);
    expect(cells[3]).toBe('/from-the-test?x=1');
    expect(cells[4]).toBe('200');
    expect(cells[5]).toMatch(/ms$/);
    // Same document: it updated in place.
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(before);
    // A second one arrives on top.
    expect((await curlIngress(gw.http, `www.pageagent.${ZONE}`, '/second')).status).toBe(200);
    await page.locator('#requests tr', { hasText: '/second' }).waitFor();
    expect(await page.locator('#requests tr').first().textContent()).toContain('/second');
  });

  it('filters the log and the tables with the search box', async () => {
    await page.fill('#search', 'from-the-test');
    await page.locator('#requests tr', { hasText: '/second' }).waitFor({ state: 'hidden' });
    expect(await page.locator('#requests tr', { hasText: '/from-the-test' }).isVisible()).toBe(true);
    expect(await page.locator('#sessions tr', { hasText: 'pageagent' }).isHidden()).toBe(true);
    await page.fill('#search', 'pageagent');
    await page.locator('#sessions tr', { hasText: 'pageagent' }).waitFor({ state: 'visible' });
    expect(await page.locator('#requests tr', { hasText: '/from-the-test' }).isVisible()).toBe(true);
    await page.fill('#search', '');
    await page.locator('#requests tr', { hasText: '/second' }).waitFor({ state: 'visible' });
  });

  it('remembers the token across a reload and logs no errors (CSP allows its own script and style)', async () => {
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    expect(await page.locator('#login-form').isHidden()).toBe(true);
    await page.locator('#sessions tr', { hasText: 'pageagent' }).waitFor();
    // The stream replays the kept log after a reload.
    await page.locator('#requests tr', { hasText: '/from-the-test?x=1' }).waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header')!).backgroundColor);
    expect(bg).toBe('rgb(29, 35, 48)');
    expect(problems).toEqual([]);
  });
});
