/**
 * The compliance report on both dialects, built through the real services from real fixtures: the CMMS
 * export test/fixtures/cmms/hospital-export.csv, the HL7 capture test/fixtures/captures/04-hl7-mllp.pcap
 * (cleartext patient data, fake values; see their PROVENANCE/README), the training scenario and the
 * learning-system export test/fixtures/training/lms-transcript-us.csv.
 *
 * Acceptance (issue 7): a site without a security officer, a department below its training target and
 * an overdue update each appear in the report as not met or partial, with the evidence naming them;
 * and the PDF renders with the control table (checked with poppler's pdftotext).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor, TEST_PASSWORD } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { buildTrainingScenario } from '../../test/training-scenario.js';
import type { Actor } from '../accounts/actor.js';
import { createScimToken } from '../accounts/scim-tokens.js';
import { createScimUser } from '../accounts/scim-users.js';
import { createUser } from '../accounts/users.js';
import { listAudit } from '../audit/audit-log.js';
import { importCmmsCsv } from '../inventory/cmms-import.js';
import { designateOfficer } from '../program/officers/officers-service.js';
import { importCompletions } from '../program/training/completions-service.js';
import { setComplianceTarget } from '../program/training/compliance.js';
import type { VigilDatabase } from '../store/database.js';
import { createTask } from '../tasks/tasks-service.js';
import { complianceReport, recordReview } from './compliance-service.js';
import type { ComplianceReport } from './evaluate.js';
import { reportCsv } from './report/csv.js';
import { reportHtml } from './report/html.js';
import { reportPdf } from './report/pdf.js';

const fixture = (path: string) => new URL(`../../test/fixtures/${path}`, import.meta.url).pathname;
const NOW = new Date();
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

const auditorActor: Actor = {
  ...cliActor,
  kind: 'user',
  name: 'auditor',
  permissions: new Set(['reports:read']),
};

describe.each(DIALECTS)('compliance report on %s', (dialect) => {
  let vdb: VigilDatabase;
  let report: ComplianceReport;

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await buildTrainingScenario(vdb, cliActor);
    await importCompletions(vdb, cliActor, {
      file: 'lms-transcript-us.csv',
      text: readFileSync(fixture('training/lms-transcript-us.csv'), 'utf8'),
      dateFormat: 'mdy',
    });
    await setComplianceTarget(vdb, cliActor, { target: 0.6 });
    // An organization officer and one for North Campus; South Campus has none.
    await designateOfficer(vdb, cliActor, { person: 'E1000', from: '2026-01-01' });
    await designateOfficer(vdb, cliActor, { person: 'E1001', site: 'North Campus', from: '2026-01-01' });
    // The organization's deputy, and North Campus's.
    await designateOfficer(vdb, cliActor, { person: 'E1003', deputy: true, from: '2026-01-01' });
    await designateOfficer(vdb, cliActor, {
      person: 'E1002',
      site: 'North Campus',
      deputy: true,
      from: '2026-01-01',
    });

    await importCmmsCsv(vdb, cliActor, {
      file: 'hospital-export.csv',
      input: readFileSync(fixture('cmms/hospital-export.csv'), 'utf8'),
    });
    await importCaptureFile(vdb, fixture('captures/04-hl7-mllp.pcap'));
    // The HL7 sender at 10.30.0.41: a device only the capture saw, known by nothing but its address.
    const [finding] = await vdb.db
      .selectFrom('findings as f')
      .innerJoin('device_identifiers as i', 'i.device_id', 'f.device_id')
      .select(['f.id'])
      .where('f.type', '=', 'cleartext-phi')
      .where('i.kind', '=', 'ip')
      .where('i.value', '=', '10.30.0.41')
      .execute();
    // A remediation task created 60 days ago, due 30 days ago, still open: an overdue update.
    await createTask(
      vdb,
      cliActor,
      { finding: finding!.id, title: 'Enable TLS on the HL7 interface', due: daysAgo(30).toISOString() },
      daysAgo(60),
    );
    // A CT only a capture saw, sending a DICOM study in the clear: named by make, model and address.
    await importCaptureFile(vdb, fixture('captures/dicom-ct-store.pcap'));
    report = await complianceReport(vdb, cliActor, {}, NOW);
  });
  afterAll(async () => vdb?.close());

  const ev = (kind: string) => report.evidence.find((e) => e.kind === kind)!;
  const control = (id: string) => report.controls.find((c) => c.id === id)!;

  it('names the site without a security officer (officer evidence partial, §164.308(a)(2) not met-or-partial)', () => {
    const officer = ev('security-officer');
    expect(officer.status).toBe('partial');
    expect(officer.gaps.join('\n')).toMatch(/Site South Campus has no security officer/);
    expect(officer.gaps.join('\n')).not.toMatch(/North Campus has no/);
    expect(control('hipaa-164.308-a-2').status).toBe('partial');
    expect(control('hipaa-164.308-a-2').reason).toContain('South Campus');
    expect(report.tables.officersBySite.find((o) => o.siteName === 'North Campus')?.primary).toBe(
      'Ana Rivera',
    );
  });

  it("a site report for the site without an officer is partial, not not-met: the organization's officer is in term", async () => {
    const south = await complianceReport(vdb, cliActor, { site: 'South Campus' }, NOW);
    const officer = south.evidence.find((e) => e.kind === 'security-officer')!;
    expect(officer.figures).toMatchObject({
      sites: 1,
      sitesWithOfficer: 0,
      organizationOfficer: expect.any(String),
    });
    expect(officer.status).toBe('partial');
    expect(officer.reason).toMatch(
      /1 of 1 site has no security officer of their own: South Campus; the organization's, .+, is in term/,
    );
  });

  it('says "1 day overdue" of an update overdue by one day, not "1 days"', async () => {
    // The HL7 task fell due 30 days ago: a report as of 29 days ago sees it one day overdue.
    const early = await complianceReport(vdb, cliActor, {}, daysAgo(29));
    const updates = early.evidence.find((e) => e.kind === 'regular-updates')!;
    expect(updates.reason).toBe('1 update overdue (past due date > 0 days); oldest 1 day');
    expect(updates.gaps).toEqual([
      expect.stringMatching(/: Enable TLS on the HL7 interface, 1 day overdue$/),
    ]);
  });

  it('names the department below the training target', () => {
    const training = ev('training');
    expect(['not-met', 'partial']).toContain(training.status);
    expect(training.figures['target']).toBe(0.6);
    expect(training.gaps.join('\n')).toMatch(
      /department Radiology \(North Campus\): \d+(\.\d)?% current < target 60%/,
    );
    expect(['not-met', 'partial']).toContain(control('hipaa-164.308-a-5').status);
    const radiology = report.tables.trainingByDepartment.find((t) => t.department === 'Radiology')!;
    expect(radiology).toMatchObject({ siteName: 'North Campus', belowTarget: true });
  });

  it('dates the training evidence by the newest completion recorded, not by the report', async () => {
    const newest = await vdb.db
      .selectFrom('training_completions')
      .select((eb) => eb.fn.max('created_at').as('t'))
      .executeTakeFirstOrThrow();
    expect(ev('training').asOf).toBe(newest.t);
    // A hundred days on, with no transcript imported since, the evidence is a hundred days old.
    const later = await complianceReport(
      vdb,
      cliActor,
      {},
      new Date(Date.parse(String(newest.t)) + 100 * DAY),
    );
    expect(later.evidence.find((e) => e.kind === 'training')).toMatchObject({ ageDays: 100 });
  });

  it('names the overdue update and fails the regular-updates control', () => {
    const updates = ev('regular-updates');
    expect(updates.status).toBe('not-met');
    expect(updates.reason).toMatch(/^1 update overdue /);
    // The device is named by the address the capture saw it at, not its id.
    expect(updates.gaps).toEqual(['10.30.0.41: Enable TLS on the HL7 interface, 30 days overdue']);
    expect(report.summary.overdueUpdates).toBe(1);
    expect(report.tables.overdueTasks).toEqual([
      expect.objectContaining({
        title: 'Enable TLS on the HL7 interface',
        deviceLabel: '10.30.0.41',
        assetTag: null,
        daysOverdue: 30,
      }),
    ]);
    expect(control('fda-updates').status).toBe('not-met');
    expect(report.summary.topGaps.some((g) => g.id === 'fda-updates')).toBe(true);
  });

  it('judges the other evidence from what Vigil holds, with thresholds in the reasons', () => {
    expect(ev('encryption-in-transit')).toMatchObject({ status: 'not-met' });
    // Each finding names its device as people know it: make, model and address, or the address alone.
    expect(ev('encryption-in-transit').gaps).toEqual(
      expect.arrayContaining([
        'GE Medical Systems RHAPSODE (10.20.0.21): Patient data sent without encryption (dicom:104)',
        '10.30.0.41: Patient data sent without encryption (hl7:2575)',
      ]),
    );
    expect(ev('encryption-in-transit').figures['cleartextPhi']).toBeGreaterThan(0);
    // Dated by the captures' own packet times (days before NOW, growing as the fixtures age).
    const scan = ev('vulnerability-scanning');
    const age = Math.floor((NOW.getTime() - Date.parse(scan.asOf!)) / DAY);
    expect(scan).toMatchObject({ status: age > 183 ? 'not-met' : 'met', ageDays: age });
    expect(Date.parse(scan.asOf!)).toBeLessThan(Date.parse(String(scan.figures['lastScanImportedAt'])));
    expect(ev('asset-inventory').figures['devices']).toBeGreaterThan(20);
    expect(ev('inventory-review')).toMatchObject({ status: 'not-met' });
    expect(ev('penetration-testing')).toMatchObject({ status: 'no-evidence' });
    expect(control('nprm-penetration-testing').status).toBe('no-evidence');
    expect(ev('audit-controls')).toMatchObject({ status: 'met' });
    expect(ev('access-control').figures['multifactor']).toBe(false);
    // The export's two disposed pumps are marked as holding no ePHI: nothing for them to sanitize.
    expect(ev('device-disposal')).toMatchObject({
      status: 'met',
      reason: 'none of 2 retired devices held ePHI',
      figures: { retiredDevices: 2, retiredEphi: 0, sanitizationRecords: 0 },
    });
    expect(control('hipaa-164.310-d-1').evidence).toEqual(['device-disposal', 'asset-inventory']);
    const counts = report.frameworks.reduce((n, f) => n + f.controls, 0);
    expect(counts).toBe(report.controls.length);
    expect(Object.values(report.summary.counts).reduce((a, b) => a + b, 0)).toBe(report.controls.length);
  });

  it('records reviews (audited) and then meets the inventory review control', async () => {
    await expect(recordReview(vdb, auditorActor, { kind: 'inventory' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(recordReview(vdb, cliActor, { kind: 'floor-plan' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const r = await recordReview(
      vdb,
      cliActor,
      { kind: 'inventory', note: 'annual review with biomed' },
      NOW,
    );
    expect(r).toMatchObject({ kind: 'inventory', reviewedBy: 'cli:test' });
    const audit = await listAudit(vdb, { action: 'compliance.review' });
    expect(audit[0]).toMatchObject({ targetId: r.id, summary: { kind: 'inventory', hasNote: true } });
    const again = await complianceReport(vdb, auditorActor, { frameworks: ['hhs-nprm'] }, NOW);
    expect(again.frameworks.map((f) => f.id)).toEqual(['hhs-nprm']);
    expect(again.evidence.find((e) => e.kind === 'inventory-review')).toMatchObject({
      status: 'met',
      ageDays: 0,
    });
    // A year and a half later the same review is too old.
    const later = await complianceReport(
      vdb,
      auditorActor,
      { frameworks: ['hhs-nprm'] },
      new Date(NOW.getTime() + 400 * DAY),
    );
    expect(later.evidence.find((e) => e.kind === 'inventory-review')!.reason).toMatch(
      /last reviewed 400 days ago > 365/,
    );
  });

  it('limits the report to one site, and refuses sites that do not exist or readers without reports:read', async () => {
    const south = await complianceReport(vdb, cliActor, { site: 'South Campus' }, NOW);
    expect(south.site?.name).toBe('South Campus');
    expect(south.tables.officersBySite.map((o) => o.siteName)).toEqual(['South Campus']);
    expect(south.tables.overdueTasks).toEqual([]);
    expect(south.tables.trainingByDepartment.every((t) => t.siteName === 'South Campus')).toBe(true);
    await expect(complianceReport(vdb, cliActor, { site: 'Nowhere' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(complianceReport(vdb, cliActor, { frameworks: ['sox'] })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const north = (await vdb.db
      .selectFrom('sites')
      .select('id')
      .where('name', '=', 'North Campus')
      .executeTakeFirst())!.id;
    const limited: Actor = { ...auditorActor, siteIds: [north] };
    const mine = await complianceReport(vdb, limited, {}, NOW);
    expect(mine.tables.officersBySite.map((o) => o.siteName)).toEqual(['North Campus']);
    expect(mine.evidence.find((e) => e.kind === 'security-officer')!.gaps.join()).not.toContain(
      'South Campus',
    );
    await expect(complianceReport(vdb, limited, { site: 'South Campus' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const noPerm: Actor = { ...cliActor, permissions: new Set(['devices:read']) };
    await expect(complianceReport(vdb, noPerm, {})).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('renders self-contained HTML, CSV tables and a PDF whose control table pdftotext reads back', async () => {
    const html = reportHtml(report);
    // The capture carries a (fake) patient: name, record number, SSN. None of it reaches a report.
    for (const text of [html, JSON.stringify(report), reportCsv(report, 'gaps')])
      for (const phi of ['HARTMANN', 'ELENA', 'MRN00482913', '987-65-4321', 'WILLOW CREEK'])
        expect(text).not.toContain(phi);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src=|href="http/i);
    expect(html).toContain('<svg');
    expect(html).toContain('They are not an attestation of compliance');
    expect(html).toContain('The HHS NPRM is a proposed rule, not in force');
    expect(html).toMatch(/§164\.312\(b\)<\/td><td>Audit controls<\/td><td><span class="s partial">/);
    expect(html).toContain('Site South Campus has no security officer');
    expect(html).toContain('Radiology');
    expect(html).toContain('Enable TLS on the HL7 interface');
    expect(html).toMatch(/<td>10\.30\.0\.41<\/td>/);

    const controls = reportCsv(report, 'controls').split('\r\n');
    expect(controls[0]).toBe('framework,control,ref,title,group,status,evidence,reason');
    expect(controls).toContainEqual(
      expect.stringMatching(
        /^hipaa,hipaa-164\.308-a-2,§164\.308\(a\)\(2\),Assigned security responsibility,administrative,partial,/,
      ),
    );
    const overdue = reportCsv(report, 'overdue-tasks').split('\r\n');
    expect(overdue[0]).toBe('task_id,asset_tag,site,department,title,due_at,days_overdue,device');
    expect(overdue[1]).toMatch(/^[^,]+,,[^,]*,[^,]*,Enable TLS on the HL7 interface,[^,]+,30,10\.30\.0\.41$/);

    const pdf = await reportPdf(report);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-report-'));
    writeFileSync(join(dir, 'report.pdf'), pdf);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('Control table');
    expect(text.replace(/\s+/g, ' ')).toContain('They are not an attestation of compliance');
    expect(text).toMatch(/§164\.308\(a\)\(2\)\s+Assigned security responsibility\s+Partial/);
    expect(text).toMatch(/FDA SC 2013\s+Regular updates\s+Not met/);
    expect(text).toMatch(/§164\.310\(d\)\(1\)\s+Device and media controls\s+(Met|Partial|Not met)/);
    expect(text).toContain('South Campus');
    expect(text).toMatch(/10\.30\.0\.41\s+.*Enable TLS on the HL7 interface/);
    expect(text).not.toContain('HARTMANN');
    // Each named gap of the evidence table on a line of its own, not run together with a '?'.
    expect(text).not.toMatch(/\?- /);
    expect(text).toMatch(/\n\s*- Site South Campus has no security officer in term/);
    // The security official by name, each site's officer, and the manufacturers, as in the HTML page.
    expect(text).toMatch(/Organization: Maya Patel; Chen Li \(deputy\)/);
    expect(text).toMatch(/North Campus\s+Ana Rivera\s+Ben Okafor/);
    expect(text).toMatch(/South Campus\s+none/);
    expect(text).toMatch(/Manufacturers\n[\s\S]*Baxter\s+\d+\s+no/);
    // The organization's deputies with its officer, marked as deputies; each site's in its own column.
    expect(html).toContain('<p><b>Organization:</b> Maya Patel; Chen Li (deputy)</p>');
    expect(html).toContain('<td>North Campus</td><td>Ana Rivera</td><td>Ben Okafor</td>');
    expect(report.tables.organizationOfficers).toEqual({ primary: 'Maya Patel', deputies: ['Chen Li'] });
    // The CSV too: the organization's row first, without a site id, then each site's.
    const officers = reportCsv(report, 'officers-by-site').split('\r\n');
    expect(officers.slice(0, 2)).toEqual([
      'site_id,site,primary,deputies',
      ',Organization,Maya Patel,Chen Li',
    ]);
    expect(officers).toContainEqual(expect.stringMatching(/^[^,]+,North Campus,Ana Rivera,Ben Okafor$/));
  });
});

describe('compliance report of a new installation', () => {
  it('shows no training rate where no training is required of anyone, not "100% current"', async () => {
    const vdb = await freshDatabase('sqlite');
    try {
      const report = await complianceReport(vdb, cliActor, {});
      const training = report.evidence.find((e) => e.kind === 'training')!;
      expect(training).toMatchObject({ status: 'no-evidence' });
      expect(training.figures['rate']).toBeNull();
      expect(report.summary.training).toMatchObject({ status: 'no-evidence', rate: null });
      expect(reportHtml(report)).toMatch(/<div class="card">Training current<b>–<\/b>/);
    } finally {
      await vdb.close();
    }
  });

  it('counts "no alerts" as handled only while the network was monitored', async () => {
    const vdb = await freshDatabase('sqlite');
    try {
      const incidents = async () =>
        (await complianceReport(vdb, cliActor, {})).evidence.find((e) => e.kind === 'incident-handling')!;
      // Nothing watched: silence is no evidence, and §164.308(a)(6) is not met by it.
      expect(await incidents()).toMatchObject({
        status: 'no-evidence',
        reason: expect.stringMatching(/no monitoring to raise them/),
        figures: { alerts: 0, monitoringLastSeen: null },
      });
      expect(
        (await complianceReport(vdb, cliActor, {})).controls.find((c) => c.id === 'hipaa-164.308-a-6'),
      ).toMatchObject({ status: 'no-evidence' });
      // Communications last seen 20 days ago: the network was watched then, not now.
      await importCaptureFile(vdb, fixture('captures/04-hl7-mllp.pcap'));
      await vdb.db.deleteFrom('alerts').execute();
      await vdb.db
        .updateTable('communications')
        .set({ last_seen: daysAgo(20).toISOString() })
        .execute();
      const old = await incidents();
      expect(old.status).toBe('no-evidence');
      expect(old.reason).toMatch(/last monitored 20 days ago > 7/);
      // Communications seen yesterday and no alert: handled.
      await vdb.db
        .updateTable('communications')
        .set({ last_seen: daysAgo(1).toISOString() })
        .execute();
      expect(await incidents()).toMatchObject({
        status: 'met',
        reason: expect.stringMatching(
          /^no alerts raised while the network was monitored \(communications seen 1 day ago ≤ 7\)/,
        ),
      });
    } finally {
      await vdb.close();
    }
  });

  it('judges access control by the accounts that sign in with a second factor', async () => {
    const vdb = await freshDatabase('sqlite');
    try {
      for (const username of ['so.first', 'ce.second'])
        await createUser(vdb, cliActor, { username, role: 'security-officer', password: TEST_PASSWORD });
      const access = async () =>
        (await complianceReport(vdb, cliActor, {})).evidence.find((e) => e.kind === 'access-control')!;
      const before = await access();
      expect(before).toMatchObject({
        status: 'partial',
        figures: { accountsWithMfa: 0, multifactor: false },
      });
      expect(before.gaps).toEqual([
        '2 of 2 enabled accounts sign in without a second factor (VIGIL_REQUIRE_MFA makes it mandatory)',
      ]);
      // A confirmed authenticator is what counts (mfa.test.ts covers enrolling one).
      await vdb.db
        .updateTable('users')
        .set({ totp_enabled_at: NOW.toISOString() })
        .where('username', '=', 'so.first')
        .execute();
      expect((await access()).gaps).toEqual([
        '1 of 2 enabled accounts signs in without a second factor (VIGIL_REQUIRE_MFA makes it mandatory)',
      ]);
      await vdb.db.updateTable('users').set({ totp_enabled_at: NOW.toISOString() }).execute();
      expect(await access()).toMatchObject({
        status: 'met',
        figures: { accountsWithMfa: 2, multifactor: true },
      });
      // An account the identity provider provisioned (SCIM) that nobody has signed in to yet has neither a
      // role of its own nor a second factor to judge: counted apart, not as an auditor without one.
      await createScimUser(vdb, { tokenId: 't', tokenName: 'Entra ID' }, { userName: 'new.starter' });
      expect(await access()).toMatchObject({
        status: 'met',
        figures: { accounts: 3, auditors: 0, accountsWithMfa: 2, awaitingFirstSignIn: 1, multifactor: true },
      });
      // SCIM provisioning is how leavers are disabled: a token that never expires (made before 0028) is a
      // gap; one that expired with none to replace it means provisioning stopped.
      const entra = await createScimToken(vdb, cliActor, { name: 'Entra ID' });
      expect(await access()).toMatchObject({
        status: 'met',
        figures: { scimTokens: 1, scimTokensWithoutExpiry: 0 },
      });
      const setExpiry = (at: string | null) =>
        vdb.db.updateTable('scim_tokens').set({ expires_at: at }).where('id', '=', entra.info.id).execute();
      await setExpiry(null);
      expect(await access()).toMatchObject({
        status: 'partial',
        figures: { scimTokens: 1, scimTokensWithoutExpiry: 1 },
        gaps: ['1 SCIM provisioning token never expires (made before tokens expired; replace it)'],
      });
      await setExpiry(daysAgo(1).toISOString());
      expect(await access()).toMatchObject({
        status: 'partial',
        figures: { scimTokens: 0, scimTokensWithoutExpiry: 0 },
        gaps: [
          'every SCIM provisioning token has expired: the identity provider no longer disables leavers in Vigil',
        ],
      });
      await createScimToken(vdb, cliActor, { name: 'Entra ID 2027' });
      expect(await access()).toMatchObject({ status: 'met', figures: { scimTokens: 1 } });
    } finally {
      await vdb.close();
    }
  });
});
