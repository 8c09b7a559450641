/**
 * Notifications end to end against a real SMTP server (smtp-server on an ephemeral loopback port): a
 * site without a security officer and an overdue update each reach the organization's officer by email
 * and in-app; a real CISA advisory (ICSMA-21-308-01, Philips Tasy EMR HTML5) affecting devices reaches
 * the officers of the sites where they run; nothing is sent twice; a refused email is retried on the
 * next run without losing the in-app copy; the weekly digest goes once per officer per week; a
 * department below the training target reaches the officer too.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { type SmtpSink, startSmtpSink } from '../../../test/smtp-sink.js';
import { buildTrainingScenario } from '../../../test/training-scenario.js';
import type { Actor } from '../../accounts/actor.js';
import { permissionsOf } from '../../accounts/permissions.js';
import { createUser } from '../../accounts/users.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { VigilError } from '../../errors.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { addOverride } from '../../risk/overrides-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { acceptRisk, revokeAcceptance } from '../../tasks/acceptance-service.js';
import { createTask } from '../../tasks/tasks-service.js';
import { designateOfficer } from '../officers/officers-service.js';
import { addPerson } from '../organization/people-service.js';
import { trainingReminders } from '../training/reminders.js';
import type { NotificationTrigger } from './candidate.js';
import { smtpMailer } from './mailer.js';
import { listNotifications, markNotificationRead } from './notifications-service.js';
import { isoWeek, runNotifications } from './run-notifications.js';
import { acceptanceExpiringTrigger } from './triggers/acceptance-expiring.js';
import { actImmediateTrigger } from './triggers/act-immediate.js';
import { overdueUpdateTrigger } from './triggers/overdue-update.js';
import { trainingBelowTargetTrigger } from './triggers/training-below-target.js';

const ADVISORY = join(import.meta.dirname, '../../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const T0 = new Date('2026-11-20T08:00:00Z');
const NOW = new Date('2026-11-29T10:00:00Z');
const GRACE = 'grace.okafor@hospital.example';
const LARS = 'lars.nilsson@hospital.example';

describe.each(DIALECTS)('officer notifications on %s', (dialect) => {
  let vdb: VigilDatabase;
  let sink: SmtpSink;
  let taskId: string;
  const mailer = () =>
    smtpMailer({
      smtpHost: '127.0.0.1',
      smtpPort: sink.port,
      smtpSecurity: 'none',
      smtpFrom: 'vigil@hospital.example',
    });

  beforeAll(async () => {
    sink = await startSmtpSink();
    vdb = await freshDatabase(dialect);
    for (const [tag, version, site] of [
      ['TASY-1', '3.06.1803', 'North Campus'],
      ['TASY-4', '3.06.1700', 'South Clinic'],
    ] as const)
      await addDevice(vdb, cliActor, {
        assetTag: tag,
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: version,
        site,
        department: 'Radiology',
      });
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
    taskId = (
      await createTask(
        vdb,
        cliActor,
        { device: 'TASY-1', vulnerability: 'CVE-2021-39375', due: '2026-11-25T08:00:00Z' },
        T0,
      )
    ).id;
    await addPerson(vdb, cliActor, { name: 'Grace Okafor', email: GRACE, site: 'North Campus' });
    await addPerson(vdb, cliActor, { name: 'Lars Nilsson', email: LARS, site: 'South Clinic' });
    const noah = await addPerson(vdb, cliActor, { name: 'Noah Fischer', site: 'South Clinic' });
    await designateOfficer(vdb, cliActor, { person: GRACE, from: '2026-01-01' });
    await designateOfficer(vdb, cliActor, { person: LARS, site: 'South Clinic', from: '2026-01-01' });
    // A deputy without an email address still gets the in-app copy.
    await designateOfficer(vdb, cliActor, {
      person: noah.id,
      site: 'South Clinic',
      from: '2026-01-01',
      deputy: true,
    });
  });
  afterAll(async () => {
    await vdb?.close();
    await sink?.close();
  });

  it('emails the officer about a site without an officer and an overdue update, once', async () => {
    const r = await runNotifications(vdb, { now: NOW, mailer: mailer() });
    expect(r.triggers.every((t) => t.error === null)).toBe(true);
    const toGrace = sink.messages.filter((m) => m.to.includes(GRACE));
    // The subject names the site: several sites without an officer are several distinct mails.
    const noOfficer = toGrace.find(
      (m) => m.subject === '[Vigil] Site North Campus has no security officer in term',
    );
    expect(noOfficer, sink.messages.map((m) => m.subject).join('\n')).toBeDefined();
    expect(noOfficer!.from).toBe('vigil@hospital.example');
    expect(noOfficer!.text).toMatch(/Site North Campus has no security officer in term/);
    const overdue = toGrace.find((m) => m.subject.startsWith('[Vigil] Overdue:'));
    expect(overdue).toBeDefined();
    expect(overdue!.subject).toContain('TASY-1');
    expect(overdue!.text).toMatch(/was due 2026-11-25T08:00:00.000Z and is still open/);
    expect(overdue!.text).toContain(`vigil tasks show ${taskId}`);

    // The South Clinic officer hears about his site only: the new advisory on TASY-4, not North Campus.
    const toLars = sink.messages.filter((m) => m.to.includes(LARS));
    expect(toLars.some((m) => /North Campus|TASY-1/.test(m.subject + m.text))).toBe(false);
    const advisory = toLars.find((m) => m.subject.includes('ICSMA-21-308-01'));
    expect(advisory?.subject).toBe(
      '[Vigil] Advisory ICSMA-21-308-01 affects 1 Philips Tasy EMR HTML5 device at South Clinic',
    );
    expect(advisory?.text).toContain(
      'ICSMA-21-308-01 affects 1 device of model Philips Tasy EMR HTML5 at South Clinic.',
    );
    // Grace, the organization's officer, hears about both sites' devices.
    expect(
      toGrace
        .filter((m) => m.subject.includes('ICSMA-21-308-01'))
        .map((m) => m.subject.split(' at ')[1])
        .sort(),
    ).toEqual(['North Campus', 'South Clinic']);

    expect(r.emailed).toBe(sink.messages.length);
    expect(r.emailSkipped).toBeGreaterThan(0); // Noah has no email address
    const again = await runNotifications(vdb, { now: new Date(NOW.getTime() + 3_600_000), mailer: mailer() });
    expect(again).toMatchObject({ created: 0, emailed: 0, emailFailed: 0 });
    expect(sink.messages.length).toBe(r.emailed);
  });

  it("emails Act/Immediate work-queue items to the officers of the device's site, once", async () => {
    // What a person knows and the feeds do not (all four decision points, audited overrides) makes
    // TASY-4's vulnerabilities Immediate: exploited, open, automatable, very high human impact.
    for (const [point, value] of [
      ['E', 'active'],
      ['EXP', 'open'],
      ['A', 'yes'],
      ['HI', 'VH'],
    ] as const)
      await addOverride(vdb, cliActor, {
        scope: 'device',
        device: 'TASY-4',
        point,
        value,
        reason: 'exploit seen against this unit in the regional ISAC report',
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      });
    const before = sink.messages.length;
    const now = new Date();
    const r = await runNotifications(vdb, { now, mailer: mailer(), triggers: [actImmediateTrigger] });
    expect(r.triggers[0]!.candidates).toBe(2);
    const sent = sink.messages.slice(before);
    const toLars = sent
      .filter((m) => m.to.includes(LARS))
      .map((m) => m.subject)
      .sort();
    expect(toLars).toEqual([
      '[Vigil] Immediate, CISA Act: CVE-2021-39375 on TASY-4',
      '[Vigil] Immediate, CISA Act: CVE-2021-39376 on TASY-4',
    ]);
    expect(
      sent
        .filter((m) => m.to.includes(GRACE))
        .map((m) => m.subject)
        .sort(),
    ).toEqual(toLars);
    expect(sent[0]!.text).toMatch(/on device TASY-4 \(Philips Tasy EMR HTML5 3\.06\.1700\) needs action now/);
    const again = await runNotifications(vdb, { now, mailer: mailer(), triggers: [actImmediateTrigger] });
    expect(again.created).toBe(0);
  });

  it('keeps the in-app copy per account, visible to its owner only', async () => {
    const user = await createUser(vdb, cliActor, {
      username: 'grace',
      role: 'clinical-engineer',
      password: 'correct horse battery staple 42',
    });
    await vdb.db.updateTable('people').set({ user_id: user.id }).where('email_key', '=', GRACE).execute();
    const grace: Actor = {
      kind: 'user',
      id: user.id,
      name: 'grace',
      permissions: permissionsOf('clinical-engineer'),
    };
    const mine = await listNotifications(vdb, grace, { unread: true });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((n) => n.person === 'Grace Okafor')).toBe(true);
    expect(mine.items.every((n) => n.email.state === 'sent')).toBe(true);
    // Asking for someone else's changes nothing for an account.
    const asked = await listNotifications(vdb, grace, { person: LARS });
    expect(asked.items.every((n) => n.person === 'Grace Okafor')).toBe(true);
    const read = await markNotificationRead(vdb, grace, mine.items[0]!.id);
    expect(read.read).toBe(true);
    expect((await listNotifications(vdb, grace, { unread: true })).unread).toBe(mine.unread - 1);

    const larsOnes = await listNotifications(vdb, cliActor, { person: LARS });
    expect(larsOnes.items.length).toBeGreaterThan(0);
    await expect(markNotificationRead(vdb, grace, larsOnes.items[0]!.id)).rejects.toThrow(/not found/);
    const auditor: Actor = { kind: 'user', id: 'nobody', name: 'a', permissions: permissionsOf('auditor') };
    expect((await listNotifications(vdb, auditor)).items).toEqual([]);
    const none: Actor = { kind: 'user', id: 'x', name: 'x', permissions: new Set() };
    await expect(listNotifications(vdb, none)).rejects.toBeInstanceOf(VigilError);
  });

  it('retries a refused email on the next run and keeps the in-app copy meanwhile', async () => {
    const extra: NotificationTrigger = {
      name: 'test-extra',
      run: async () => [
        {
          kind: 'test',
          key: 'test:1',
          severity: 'info',
          title: 'Retry me',
          body: 'Body of the retried mail',
          siteIds: [],
          details: {},
        },
      ],
    };
    sink.rejectRecipients.add(GRACE);
    const first = await runNotifications(vdb, { now: NOW, mailer: mailer(), triggers: [extra] });
    expect(first).toMatchObject({ created: 1, emailed: 0, emailFailed: 1 });
    const stored = await listNotifications(vdb, cliActor, { person: GRACE, kind: ['test'] });
    expect(stored.items[0]!.email).toMatchObject({ state: 'failed', attempts: 1 });
    expect(stored.items[0]!.email.error).toMatch(/550/);

    sink.rejectRecipients.clear();
    const second = await runNotifications(vdb, { now: NOW, mailer: mailer(), triggers: [extra] });
    expect(second).toMatchObject({ created: 0, emailed: 1, emailFailed: 0 });
    expect(sink.messages.at(-1)).toMatchObject({ to: [GRACE], subject: '[Vigil] Retry me' });
    expect(
      (await listNotifications(vdb, cliActor, { person: GRACE, kind: ['test'] })).items[0]!.email,
    ).toMatchObject({
      state: 'sent',
      attempts: 2,
    });
  });

  it('sends one weekly digest per officer', async () => {
    const before = sink.messages.length;
    const r = await runNotifications(vdb, { now: NOW, mailer: mailer(), digest: true });
    expect(r.digests).toBe(3);
    const digests = sink.messages.slice(before);
    expect(digests.map((m) => m.to[0]).sort()).toEqual([GRACE, LARS]);
    const graces = digests.find((m) => m.to[0] === GRACE)!;
    expect(graces.subject).toMatch(
      new RegExp(`^\\[Vigil\\] Weekly security digest ${isoWeek(NOW)}: \\d+ Act/Immediate, 1 overdue$`),
    );
    expect(graces.text).toMatch(/Overdue updates: 1\n {2}- Overdue: /);
    expect(graces.text).toMatch(
      /Security officer warnings: 1\n {2}- Site North Campus has no security officer in term/,
    );
    const again = await runNotifications(vdb, {
      now: new Date(NOW.getTime() - 86_400_000),
      mailer: mailer(),
      digest: true,
    });
    expect(again.digests).toBe(0);
    expect(isoWeek(new Date('2026-11-29T10:00:00Z'))).toBe('2026-W48');
    expect(isoWeek(new Date('2027-01-01T10:00:00Z'))).toBe('2026-W53');
  });

  it('stores notifications without email when no SMTP server is configured', async () => {
    const extra: NotificationTrigger = {
      name: 'test-extra',
      run: async () => [
        {
          kind: 'test',
          key: 'test:2',
          severity: 'info',
          title: 'In-app only',
          body: 'b',
          siteIds: [],
          details: {},
        },
      ],
    };
    const r = await runNotifications(vdb, { now: NOW, triggers: [extra] });
    expect(r).toMatchObject({ created: 1, emailSkipped: 1, emailed: 0 });
    const n = (await listNotifications(vdb, cliActor, { person: GRACE, kind: ['test'] })).items.find(
      (x) => x.title === 'In-app only',
    )!;
    expect(n.email).toMatchObject({ state: 'skipped', error: 'no SMTP server configured' });
  });

  it('names a device without an asset tag by make, model and address, not by its id', async () => {
    // As discovery leaves a device: no asset tag, only what the network showed.
    const unit = await addDevice(vdb, cliActor, {
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1700',
      macs: ['00:60:35:0a:11:42'],
      ips: ['10.40.0.42'],
      site: 'South Clinic',
    });
    const label = 'Philips Tasy EMR HTML5 (10.40.0.42)';
    const task = await createTask(
      vdb,
      cliActor,
      {
        device: unit.id,
        vulnerability: 'CVE-2021-39375',
        title: 'Update Tasy to 3.06.1804',
        due: '2026-11-25T08:00:00Z',
      },
      T0,
    );
    const overdue = (await overdueUpdateTrigger.run({ h: vdb, now: NOW, config: {} })).find(
      (c) => c.details['taskId'] === task.id,
    )!;
    expect(overdue.title).toBe(`Overdue: Update Tasy to 3.06.1804 (${label})`);
    expect(overdue.body).toContain(`for device ${label} at South Clinic was due`);
    expect(overdue.details).toMatchObject({ deviceId: unit.id, deviceLabel: label });

    for (const [point, value] of [
      ['E', 'active'],
      ['EXP', 'open'],
      ['A', 'yes'],
      ['HI', 'VH'],
    ] as const)
      await addOverride(vdb, cliActor, {
        scope: 'device',
        device: unit.id,
        point,
        value,
        reason: 'exploit seen against this unit in the regional ISAC report',
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      });
    const act = (await actImmediateTrigger.run({ h: vdb, now: new Date(), config: {} })).filter(
      (c) => c.details['deviceId'] === unit.id,
    );
    expect(act.map((c) => c.title).sort()).toEqual([
      `Immediate, CISA Act: CVE-2021-39375 on ${label}`,
      `Immediate, CISA Act: CVE-2021-39376 on ${label}`,
    ]);
    expect(act[0]!.body).toContain(`on device ${label} (Philips Tasy EMR HTML5 3.06.1700) needs action now`);
    // The command still names the device by a reference Vigil resolves.
    expect(act[0]!.body).toContain(`vigil vulns why ${unit.id} CVE-2021-3937`);
    expect(act[0]!.details['deviceLabel']).toBe(label);
    // A risk the officer accepted for this unit is not news until the acceptance ends.
    const acceptance = await acceptRisk(vdb, cliActor, {
      scope: 'device',
      vulnerability: 'CVE-2021-39375',
      device: unit.id,
      decision: 'reduce',
      reason: 'unit unplugged from the clinical network until the upgrade',
      expires: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    const later = (await actImmediateTrigger.run({ h: vdb, now: new Date(), config: {} })).filter(
      (c) => c.details['deviceId'] === unit.id,
    );
    expect(later.map((c) => c.title)).toEqual([`Immediate, CISA Act: CVE-2021-39376 on ${label}`]);
    await revokeAcceptance(vdb, cliActor, acceptance.id, 'back on the network');
  });

  it("tells the officers of the device's site, once, that a risk acceptance ends within 14 days", async () => {
    const expires = new Date(NOW.getTime() + 10 * 86_400_000).toISOString();
    const accepted = await acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'device',
        vulnerability: 'CVE-2021-39375',
        device: 'TASY-1',
        decision: 'accept',
        reason: 'EMR front end behind the jump host until the upgrade window',
        expires,
      },
      NOW,
    );
    expect(accepted.tasksAccepted).toContain(taskId);
    const run = (now: Date) =>
      runNotifications(vdb, { now, mailer: mailer(), triggers: [acceptanceExpiringTrigger] });
    // Three weeks before its end: not yet.
    expect((await run(new Date(NOW.getTime() - 11 * 86_400_000))).created).toBe(0);
    const before = sink.messages.length;
    const r = await run(NOW);
    expect(r.triggers[0]).toMatchObject({ candidates: 1, error: null });
    const sent = sink.messages.slice(before);
    // TASY-1 is at North Campus: Grace (the organization's officer) hears of it, Lars (South Clinic) not.
    expect(sent.map((m) => m.to[0])).toEqual([GRACE]);
    expect(sent[0]!.subject).toBe('[Vigil] Risk acceptance ends in 10 days: CVE-2021-39375 on device TASY-1');
    expect(sent[0]!.text).toContain(`ends ${expires}`);
    expect(sent[0]!.text).toContain('Then its task re-opens with the SLA restarted.');
    expect(sent[0]!.text).toContain('Reason given: EMR front end behind the jump host');
    expect((await run(new Date(NOW.getTime() + 86_400_000))).created).toBe(0);
    // Ended (expired or revoked): nothing more to announce.
    expect(
      await acceptanceExpiringTrigger.run({ h: vdb, now: new Date(Date.parse(expires)), config: {} }),
    ).toEqual([]);
  });
});

describe.each(DIALECTS)('training below target reaches the officer on %s', (dialect) => {
  let vdb: VigilDatabase;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
    vdb = await freshDatabase(dialect);
    // Two sites, three departments, people and courses through the real services; nobody trained yet.
    await buildTrainingScenario(vdb, cliActor);
    await designateOfficer(vdb, cliActor, { person: 'maya.patel@example-hospital.org', from: '2026-01-01' });
  });
  afterAll(async () => {
    await vdb?.close();
    await sink?.close();
  });

  it('emails the officer about each department below the training target, once a month', async () => {
    const mailer = smtpMailer({ smtpHost: '127.0.0.1', smtpPort: sink.port, smtpSecurity: 'none' });
    const r = await runNotifications(vdb, {
      now: NOW,
      mailer,
      triggers: [trainingBelowTargetTrigger],
      reminders: false,
    });
    expect(r.triggers).toEqual([{ name: 'training-below-target', candidates: r.created, error: null }]);
    const subjects = sink.messages.map((m) => m.subject);
    expect(subjects).toContain(
      '[Vigil] Training compliance below target: department ICU at North Campus at 0%',
    );
    expect(subjects).toContain('[Vigil] Training compliance below target: the organization at 0%');
    expect(sink.messages.every((m) => m.to[0] === 'maya.patel@example-hospital.org')).toBe(true);
    const icu = sink.messages.find((m) => m.subject.includes('department ICU'))!;
    expect(icu.text).toMatch(/0 of \d+ required trainings current, \d+ overdue\); the target is 95%/);
    expect(
      (
        await runNotifications(vdb, {
          now: NOW,
          mailer,
          triggers: [trainingBelowTargetTrigger],
          reminders: false,
        })
      ).created,
    ).toBe(0);
    // A new month reminds again while it lasts.
    const next = await runNotifications(vdb, {
      now: new Date('2026-12-02T10:00:00Z'),
      mailer,
      triggers: [trainingBelowTargetTrigger],
      reminders: false,
    });
    expect(next.created).toBe(r.created);
  });

  it('emails training reminders to the people and their managers, once a week', async () => {
    const mailer = smtpMailer({ smtpHost: '127.0.0.1', smtpPort: sink.port, smtpSecurity: 'none' });
    const expected = (await trainingReminders(vdb, cliActor, NOW)).reminders;
    expect(expected.some((m) => m.kind === 'trainee')).toBe(true);
    expect(expected.some((m) => m.kind === 'manager')).toBe(true);
    const before = sink.messages.length;
    const r = await runNotifications(vdb, { now: NOW, mailer, triggers: [] });
    expect(r.reminders).toBe(expected.filter((m) => m.recipient.email).length);
    expect(r.created).toBe(0);
    const sent = sink.messages.slice(before);
    for (const m of expected.filter((x) => x.recipient.email)) {
      const got = sent.find((x) => x.to[0] === m.recipient.email && x.subject === `[Vigil] ${m.subject}`);
      expect(got, `${m.kind} reminder to ${m.recipient.email}`).toBeDefined();
      expect(got!.text).toContain(m.items[0]!.courseCode);
    }
    // The same week: nothing again; the next week: reminded again while still due.
    expect((await runNotifications(vdb, { now: NOW, mailer, triggers: [] })).reminders).toBe(0);
    const later = new Date(NOW.getTime() + 7 * 86_400_000);
    const again = await runNotifications(vdb, { now: later, mailer, triggers: [] });
    expect(again.reminders).toBe((await trainingReminders(vdb, cliActor, later)).reminders.length);
  });
});
