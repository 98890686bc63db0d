import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestApp } from './app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumPresent = (): boolean => existsSync(CHROMIUM);

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** Debian's Chromium, headless, driven by playwright-core (CI installs it with .ci/setup-browser). */
export async function launchChromium(t: TestLike): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** The test app listening on 127.0.0.1 (a free port), as a person's browser would reach it. */
export async function listen(t: TestLike, testApp: TestApp): Promise<string> {
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  return `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
}

/** A fresh browser context (cookies of its own) with a laptop-sized window; errors on the page fail loudly. */
export async function openPage(t: TestLike, browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // A CSP violation is reported on the console: the pages must not trigger any.
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-results', { recursive: true });
  const path = `test-results/console-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
