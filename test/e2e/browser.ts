/**
 * What every browser test of the dashboard shares: whether Debian's Chromium is there (the suites skip
 * with a message without it, except with CI=true, where they fail), a signed-in session in a 1366×768
 * context that collects Content-Security-Policy violations and uncaught errors, a screenshot of the page
 * when a step fails, the fake patient of the HL7 test capture, and waiting for an element.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { beforeEach, onTestFailed } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, DASHBOARD_PASSWORD } from './dashboard-seed.js';

const haveChromium = existsSync(CHROMIUM);
const inCi = process.env['CI'] === 'true';

/** Whether `suite` must be skipped (no Chromium outside CI); says so once. */
export function skipWithoutChromium(suite: string): boolean {
  const skip = !haveChromium && !inCi;
  if (skip)
    console.warn(`${suite} e2e: skipped, ${CHROMIUM} is missing (apt-get install chromium to run it)`);
  return skip;
}

/** Launches Chromium; in CI without it, fails with what to install. Every launch has a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  if (!haveChromium) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** From the PID segment of 04-hl7-mllp.pcap: name, MRN, street, SSN-shaped number. */
export const PATIENT = /HARTMANN|ELENA|MRN00482913|WILLOW CREEK|987-65-4321/;

export const see = (l: Locator) => l.first().waitFor({ state: 'visible', timeout: 15_000 });

/** The distinct values of column `n` (1-based) of the page's table body, sorted. */
export async function columnValues(page: Page, n: number): Promise<string[]> {
  return [...new Set(await page.locator(`tbody tr td:nth-child(${n})`).allTextContents())].sort();
}

/** A new 1366×768 context and page whose CSP violations and uncaught errors go into `problems`. */
export async function newSession(
  browser: Browser,
  problems: string[],
  opts: { acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, ...opts });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page };
}

/** Opens `url + path` and signs in through the login form. */
export async function signIn(page: Page, url: string, username: string, path = '/'): Promise<void> {
  await page.goto(url + path);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Inside a describe: a failing test leaves a full-page screenshot of `page()` in the temp folder. */
export function screenshotOnFailure(suite: string, page: () => Page | undefined): void {
  beforeEach(() => {
    onTestFailed(async ({ task }) => {
      const file = join(tmpdir(), `vigil-${suite}-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
      await page()
        ?.screenshot({ path: file, fullPage: true })
        .catch(() => {});
      console.error(`${suite} e2e: screenshot of the failure in ${file}`);
    });
  });
}
