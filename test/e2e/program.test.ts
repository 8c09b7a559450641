/**
 * The dashboard's security-program pages end to end in a real browser: the seeded `vigil serve` of
 * test/e2e/dashboard-seed.ts, plus the program's data added here through the API with real fixtures:
 *
 * - people from test/fixtures/program/hr-export.csv (8 invented people at North Campus and South Clinic,
 *   see its README) and the annual course SEC-101 that everyone with network access must take;
 * - completions imported through the page from test/fixtures/training/bad-rows.csv (good rows on lines
 *   2 and 9, one error on each other line, see PROVENANCE.md), line 2's pass superseding a failure
 *   recorded through the API first;
 * - a PSIRT contact, a document on file and an overdue SBOM request for the CMMS export's Philips devices;
 * - the RotoProne beds and the Plum A+3 pump of the recall tests, openFDA's recall sample
 *   (test/fixtures/recalls/device-recall-sample.json, imported with the CLI: recall imports read files)
 *   and a matcher run.
 *
 * It checks each sub-page shows that data, designates the organization's officer through the form,
 * imports the LMS CSV with its line-numbered errors, downloads the PDF report, confirms a recall match,
 * and that a clinical engineer sees the pages without the forms. Skipped without Chromium like
 * dashboard.test.ts, except with CI=true.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  newSession,
  screenshotOnFailure,
  see,
  signIn,
  skipWithoutChromium,
} from './browser.js';
import { type ApiRequest, repoRoot, type SeededVigil, startSeededVigil } from './dashboard-seed.js';

const root = repoRoot();
const fixture = (p: string) => join(root, 'test/fixtures', p);
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function seedProgram(as: ApiRequest, db: string) {
  await as(
    'POST',
    '/api/v1/people/import?file=hr-export.csv',
    readFileSync(fixture('program/hr-export.csv'), 'utf8'),
    'text/csv',
  );
  await as('POST', '/api/v1/training/courses', { code: 'SEC-101', name: 'Cybersecurity Awareness' });

  // Philips: its published PSIRT address, an MDS2 on file for one model and an SBOM request past due.
  await as('PATCH', '/api/v1/manufacturers/Philips', { psirtEmail: 'productsecurity@philips.com' });
  await as('PUT', '/api/v1/models/IntelliVue%20MX450/support', { endOfSupport: '2027-12-31' });
  await as('POST', '/api/v1/documents', {
    model: 'IntelliVue MX450',
    kind: 'mds2',
    title: 'MDS2 IntelliVue MX450',
    documentDate: '2025-06-01',
    receivedDate: '2025-06-15',
  });
  await as('POST', '/api/v1/manufacturer-requests', {
    manufacturer: 'Philips',
    kind: 'sbom',
    subject: 'Current SBOM for IntelliVue MX40',
    models: ['IntelliVue MX40 Patient Worn Monitor'],
    requestedDate: day(-60),
    dueDate: day(-30),
  });

  // The devices of the recall tests: BED-1's serial is in Z-0520-06's range, the pump a candidate.
  for (const d of [
    { assetTag: 'BED-1', serialNumber: 'RRFK00050', model: 'RotoProne', modelNumber: '209500' },
    { assetTag: 'PLUM-1', serialNumber: 'P1', model: 'Plum A+3', modelNumber: '12618-04' },
  ])
    await as('POST', '/api/v1/devices', {
      ...d,
      manufacturer: d.model === 'RotoProne' ? 'Kinetic Concepts, Inc' : 'Hospira',
      site: 'North Clinic',
    });
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin/vigil.js'),
      '--db',
      `sqlite:${db}`,
      'recalls',
      'import',
      fixture('recalls/device-recall-sample.json'),
    ],
    { encoding: 'utf8', env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' }, timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`vigil recalls import exited ${r.status}\n${r.stderr}`);
  await as('POST', '/api/v1/recalls/match', {});
}

describe.skipIf(skipWithoutChromium('program'))('program pages in Chromium', { timeout: 120_000 }, () => {
  let vigil: SeededVigil;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  async function login(username: string, path: string): Promise<Page> {
    const { page: p } = await newSession(browser, problems);
    await signIn(p, url, username, path);
    return p;
  }

  beforeAll(async () => {
    vigil = await startSeededVigil();
    url = vigil.url;
    await seedProgram(await vigil.apiAs('alice'), vigil.db);
    browser = await launchChromium();
    page = await login('alice', '/program');
  }, 240_000);

  screenshotOnFailure('program', () => page);

  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('officers: the missing officer is warned about, then designated through the form', async () => {
    await page.goto(`${url}/program`);
    await see(page.getByRole('heading', { name: 'Security officers' }));
    const nav = page.getByRole('navigation', { name: 'Program' });
    expect(await nav.getByRole('link', { name: 'Officers' }).getAttribute('aria-current')).toBe('page');
    expect(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Program' })
        .getAttribute('aria-current'),
    ).toBe('page');
    const warnings = page.getByRole('region', { name: 'Coverage warnings' });
    await see(warnings.getByText('no-officer-organization'));
    await see(warnings.getByText('Site South Clinic has no security officer in term'));

    const form = page.getByRole('form', { name: 'Designate an officer' });
    // Options of a closed <select> are never "visible": wait until the people have loaded.
    await form
      .getByRole('option', { name: /Grace Okafor, Chief Information Security Officer/ })
      .waitFor({ state: 'attached' });
    await form
      .getByLabel('Person')
      .selectOption({ label: 'Grace Okafor, Chief Information Security Officer (North Campus)' });
    await form.getByLabel('Scope').selectOption({ label: 'The organization' });
    await form.getByRole('button', { name: 'Designate' }).click();
    await see(
      page.getByRole('status').getByText(/Grace Okafor designated security officer of the organization/),
    );

    const coverage = page.getByRole('table', { name: 'Officers by organization and site' });
    await see(
      coverage.getByRole('row', { name: /Organization Grace Okafor <grace\.okafor@hospital\.example>/ }),
    );
    await expect.poll(() => warnings.getByText('no-officer-organization').count()).toBe(0);
    const terms = page.getByRole('table', { name: 'Officer designations' });
    await see(terms.getByRole('row', { name: /Grace Okafor Organization primary/ }));
    await see(terms.getByRole('button', { name: 'End the term of Grace Okafor' }));
  });

  it('training: compliance by department, the overdue people, and an LMS CSV with its line errors', async () => {
    await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Training' }).click();
    await page.waitForURL(/\/program\/training$/);
    await see(page.getByRole('heading', { name: 'Training compliance' }));
    const overdue = page.getByRole('table', { name: 'People with overdue training' });
    // Everyone with network access who is still employed has never taken SEC-101 (hired long ago).
    await see(overdue.getByRole('row', { name: /Grace Okafor Information Security North Campus SEC-101/ }));
    for (const name of ['Tomás Reyes', 'Aiko Tanaka', 'Fatima Haddad', 'Lars Nilsson', 'Priya Raman'])
      await see(overdue.getByRole('cell', { name, exact: true }));
    // No network access (Noah Fischer) or gone (Robert Smith, Jr.): not required.
    expect(await overdue.getByText(/Noah Fischer|Smith, Jr\./).count()).toBe(0);
    const bars = page.getByRole('list', { name: 'Training compliance by department' });
    await see(bars.getByText('Information Security (North Campus)'));
    expect(
      await bars.getByRole('listitem').filter({ hasText: 'Information Security' }).textContent(),
    ).toMatch(/0%.*0 of 1 current, below target/);

    // A failure Grace had recorded for line 2's day: the file's pass replaces it (superseded, not added).
    await (await vigil.apiAs('alice'))('POST', '/api/v1/training/completions', {
      person: 'E1001',
      course: 'SEC-101',
      date: '2026-03-14',
      passed: false,
    });
    const form = page.getByRole('form', { name: 'Import completions' });
    await form.getByLabel('LMS CSV export').setInputFiles(fixture('training/bad-rows.csv'));
    await form.getByLabel('Date format').selectOption('dmy');
    await form.getByRole('button', { name: 'Import' }).click();
    const result = form.getByRole('status');
    await see(
      result.getByText(/bad-rows\.csv: 8 rows, 1 completion added, 1 earlier failure superseded by a pass,/),
    );
    const errors = await result.locator('.import-errors li').allTextContents();
    // One error per line 3–8, each named by its line (the file's own comments in PROVENANCE.md).
    expect(errors.map((e) => /line (\d+)/.exec(e)?.[1])).toEqual(['3', '4', '5', '6', '7', '8']);
    expect(errors.find((e) => e.includes('line 7'))).toMatch(/31\/02\/2026/);

    // Grace's two passes (lines 2 and 9) make Information Security current; the page reloaded its figures.
    await expect
      .poll(async () => bars.getByRole('listitem').filter({ hasText: 'Information Security' }).textContent())
      .toMatch(/100%.*1 of 1 current\)/);
    await expect.poll(() => overdue.getByRole('cell', { name: 'Grace Okafor' }).count()).toBe(0);
  });

  it('manufacturers: coverage, a manufacturer with contacts and support dates, documents, overdue requests', async () => {
    await page.goto(`${url}/program/manufacturers`);
    const coverage = page.getByRole('table', { name: 'Manufacturers in use with their coverage' });
    const philips = coverage.getByRole('row', { name: /^Philips / });
    await see(philips);
    // The row comes from the coverage query, its models and PSIRT address from the manufacturer list,
    // which may arrive later (it did under CI's load: "yes" and "—" until then).
    await expect.poll(() => philips.textContent()).toContain('productsecurity@philips.com');
    expect(await philips.textContent()).toContain('1 overdue');
    await see(coverage.getByRole('link', { name: 'GE Healthcare' }));

    const docs = page.getByRole('table', { name: 'Documents on file' });
    await see(
      docs.getByRole('row', { name: /Philips IntelliVue MX450 mds2 MDS2 IntelliVue MX450 2025-06-01/ }),
    );
    await see(page.getByText(/no-mds2/));

    const requests = page.getByRole('table', { name: 'Open requests to manufacturers' });
    await see(requests.getByRole('row', { name: /Philips sbom Current SBOM for IntelliVue MX40/ }));
    await page.getByRole('button', { name: 'Only overdue' }).click();
    await page.waitForURL(/overdue=true/);
    const overdue = page.getByRole('table', { name: 'Overdue requests to manufacturers' });
    await see(overdue.getByText(`overdue since ${day(-30)}`));

    await philips.getByRole('link', { name: 'Philips' }).click();
    await page.waitForURL(/manufacturer=/);
    const detail = page.getByRole('region', { name: 'Philips' });
    await see(detail.getByText('productsecurity@philips.com'));
    const models = detail.getByRole('table', { name: 'Models of Philips' });
    await see(models.getByRole('row', { name: /IntelliVue MX450 .*2027-12-31/ }));
    await see(models.getByRole('row', { name: /IntelliVue MX40 Patient Worn Monitor/ }));
    // The documents list follows the chosen manufacturer.
    await see(page.getByRole('heading', { name: 'Documents on file (Philips)' }));
  });

  it('compliance report: chosen frameworks shown inline; the PDF downloads', async () => {
    await page.goto(`${url}/program/compliance`);
    const report = page.getByRole('article', { name: 'Compliance report' });
    await see(report.getByRole('table', { name: 'Controls' }));
    expect(await report.getByRole('table', { name: 'Frameworks' }).locator('tbody tr').count()).toBe(5);

    const options = page.getByRole('form', { name: 'Report options' });
    for (const label of [
      'FDA hospital practices',
      'HHS proposed Security Rule schedules',
      'HPH Cybersecurity Performance Goals',
      'NIST CSF 2.0',
    ])
      await options.getByLabel(label).uncheck();
    await options.getByRole('button', { name: 'Show report' }).click();
    await page.waitForURL(/framework=hipaa$/);
    const frameworks = report.getByRole('table', { name: 'Frameworks' });
    await expect.poll(() => frameworks.locator('tbody tr').count()).toBe(1);
    expect(await frameworks.locator('tbody tr').textContent()).toMatch(/HIPAA/);
    // The officer designated on the first page is the report's evidence for §164.308(a)(2).
    const controls = report.getByRole('table', { name: 'Controls' });
    await see(controls.getByRole('row', { name: /§164\.308\(a\)\(2\)/ }));
    expect(await controls.locator('tbody tr td:first-child').allTextContents()).toEqual(
      expect.arrayContaining(['hipaa']),
    );
    expect(new Set(await controls.locator('tbody tr td:first-child').allTextContents())).toEqual(
      new Set(['hipaa']),
    );
    const evidence = report.getByRole('table', { name: 'Evidence' });
    await see(
      evidence.getByRole('row', {
        name: /Staff training not-met .*department Intensive Care \(North Campus\): 0% current < target/,
      }),
    );

    const link = options.getByRole('link', { name: 'Download PDF' });
    expect(await link.getAttribute('href')).toMatch(
      /^\/api\/v1\/reports\/compliance\?format=pdf&framework=hipaa$/,
    );
    // The HTML report opens in a new tab from the same public URL.
    const html = await options.getByRole('link', { name: 'Open HTML' }).getAttribute('href');
    expect(html).toBe('/api/v1/reports/compliance?format=html&framework=hipaa');
    expect(await page.evaluate(async (h) => (await fetch(h)).text(), html!)).toContain('§164.308(a)(2)');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^vigil-compliance-\d{4}-\d{2}-\d{2}\.pdf$/);
    const pdf = readFileSync((await download.path())!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('recalls: matches with their basis; a candidate confirmed with a reason', async () => {
    await page.goto(`${url}/program/recalls`);
    const table = page.getByRole('table', { name: 'Recall matches' });
    const bed = table.getByRole('row', {
      name: /Z-0520-06 BED-1 RRFK00050 RotoProne firm-model high matched/,
    });
    await see(bed);
    expect(await bed.textContent()).toContain('serial RRFK00050 is listed');
    const pump = table.getByRole('row', { name: /Z-0439-05 PLUM-1 P1 Plum A\+3 .* low candidate/ });
    await see(pump);

    await pump.getByRole('button', { name: 'Confirm recall Z-0439-05 on PLUM-1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm recall match' });
    await dialog.getByLabel('Reason (optional)').fill('LIST 12618-04 on the label');
    await dialog.getByRole('button', { name: 'Confirm match' }).click();
    await see(page.getByRole('status').getByText('Recall Z-0439-05 on PLUM-1: confirmed.'));
    await see(table.getByRole('row', { name: /PLUM-1 .*confirmed by alice: LIST 12618-04 on the label/ }));

    await page.getByLabel('State').selectOption('confirmed');
    await page.waitForURL(/state=confirmed/);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
  });

  it('officers: a term ended today leaves the organization without its officer after today', async () => {
    await page.goto(`${url}/program`);
    const terms = page.getByRole('table', { name: 'Officer designations' });
    await terms.getByRole('button', { name: 'End the term of Grace Okafor' }).click();
    const dialog = page.getByRole('dialog', { name: 'End a term' });
    expect(await dialog.getByLabel('Last day of the term').inputValue()).toBe(day(0));
    await dialog.getByRole('button', { name: 'End term' }).click();
    await see(page.getByRole('status').getByText(`Grace Okafor's term ends on ${day(0)}.`));
    await see(
      terms.getByRole('row', { name: new RegExp(`Grace Okafor Organization primary ${day(0)} – ${day(0)}`) }),
    );
    // Still in term today, ending without a successor: the coverage warns.
    await see(page.getByRole('region', { name: 'Coverage warnings' }).getByText('term-ending'));
  });

  it('a clinical engineer reads the program pages without the forms', async () => {
    const carol = await login('carol', '/program');
    await see(carol.getByRole('table', { name: 'Officers by organization and site' }));
    expect(await carol.getByRole('form', { name: 'Designate an officer' }).count()).toBe(0);
    expect(await carol.getByRole('button', { name: /End the term/ }).count()).toBe(0);
    await carol.goto(`${url}/program/training`);
    await see(carol.getByRole('table', { name: 'People with overdue training' }));
    expect(await carol.getByRole('form', { name: 'Import completions' }).count()).toBe(0);
    // Clinical engineers may decide recall matches (recalls:write): the buttons are there.
    await carol.goto(`${url}/program/recalls`);
    await see(carol.getByRole('button', { name: 'Reject recall Z-0520-06 on BED-1' }));
    await carol.context().close();
    expect(problems).toEqual([]);
  });
});
