/**
 * `vigil tasks …` in process (the commands registered on a fresh program against a test database):
 * create, move, list --overdue --json, accept, campaign create/show, verify, dead-letters and retry
 * against a real loopback receiver that is down, then up. The binary end to end
 * needs the register line in src/cli/main.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRunner } from '../../../test/cli-commands.js';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importCaptureFile } from '../../../test/import-capture.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { listFindings } from '../../findings/findings-service.js';
import { addDevice, updateDevice } from '../../inventory/inventory-service.js';
import { addDestination, removeDestination } from '../../monitor/alert-destinations-service.js';
import { listQueuePage } from '../../risk/queue-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { TaskEventDispatcher } from '../../tasks/task-event-dispatcher.js';
import { registerTaskCommands } from './tasks.js';

const ADVISORY = join(import.meta.dirname, '../../../test/fixtures/advisories/csaf/icsma-21-308-01.json');

describe.each(DIALECTS)('vigil tasks on %s', (dialect) => {
  let vdb: VigilDatabase;
  const run = commandRunner(registerTaskCommands, () => vdb);

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    for (const [tag, version] of [
      ['TASY-1', '3.06.1803'],
      ['TASY-2', '3.06.1700'],
    ] as const)
      await addDevice(vdb, cliActor, {
        assetTag: tag,
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: version,
        site: 'Main Campus',
        department: 'Radiology',
      });
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
  });
  afterAll(async () => vdb?.close());

  it('creates, moves, lists overdue, accepts, runs a campaign and verifies', async () => {
    const c = await run(
      'tasks',
      'create',
      '--device',
      'TASY-1',
      '--vuln',
      'CVE-2021-39375',
      '--due',
      '2020-01-01T00:00:00Z',
      '--json',
    );
    expect(c.code).toBe(0);
    const t = JSON.parse(c.out) as { id: string; state: string; overdue: boolean };
    expect(t).toMatchObject({ state: 'open', overdue: true });
    const bad = await run('tasks', 'move', t.id, 'scheduled', '--assignee', 'biomed-1');
    expect(bad.code).toBe(65);
    expect(bad.err).toContain('needs windowStart, windowEnd (give --window-start, --window-end)');
    expect(bad.err).toContain('  --window-start: required');
    const m = await run(
      'tasks',
      'move',
      t.id,
      'scheduled',
      '--assignee',
      'biomed-1',
      '--window-start',
      '2030-01-01T22:00:00Z',
      '--window-end',
      '2030-01-02T02:00:00Z',
    );
    expect(m.out).toBe(`Task ${t.id} is scheduled.\n`);
    const overdue = JSON.parse((await run('tasks', 'list', '--overdue', '--json')).out) as { id: string }[];
    expect(overdue.map((x) => x.id)).toEqual([t.id]);
    const table = await run('tasks', 'list');
    expect(table.out).toContain('OVERDUE');
    expect(table.err).toContain('1 task overdue');
    // --device takes what people type (the asset tag), like tasks create; an unknown one is an error.
    const byTag = JSON.parse((await run('tasks', 'list', '--device', 'TASY-1', '--json')).out) as {
      id: string;
    }[];
    expect(byTag.map((x) => x.id)).toEqual([t.id]);
    expect((await run('tasks', 'list', '--device', 'NO-SUCH-TAG')).code).toBe(66);

    const a = await run(
      'tasks',
      'accept',
      '--vuln',
      'CVE-2021-39375',
      '--scope',
      'device',
      '--device',
      'TASY-1',
      '--decision',
      'reduce',
      '--reason',
      'segmented',
      '--expires',
      new Date(Date.now() + 10 * 86_400_000).toISOString(),
      '--control',
      'segmented:VLAN 40',
    );
    expect(a.out).toMatch(/1 task now risk-accepted/);
    expect((await run('tasks', 'acceptances')).out).toContain('reduce');

    const camp = await run(
      'tasks',
      'campaign',
      'create',
      '--model',
      'Tasy EMR HTML5',
      '--vuln',
      'CVE-2021-39376',
      '--json',
    );
    const cj = JSON.parse(camp.out) as { id: string; tasksCreated: number };
    expect(cj.tasksCreated).toBe(2);
    expect((await run('tasks', 'campaign', 'show', cj.id)).out).toContain('0/2 done');

    // The device edit re-matches it and verifies its task at once; `tasks verify` finds nothing left.
    await updateDevice(vdb, cliActor, 'TASY-2', { softwareVersion: '3.06.1804' });
    const v = await run('tasks', 'verify');
    expect(v.out).toContain('0 verified');
    expect((await run('tasks', 'campaign', 'show', cj.id)).out).toContain('1/2 done');
    const shown = await run('tasks', 'show', t.id);
    expect(shown.out).toContain('risk-accepted');
    expect(shown.out).toContain('segmented (VLAN 40)');
    // Scheduled without --department: nobody was contacted, and the view must not say otherwise.
    expect(shown.out).toMatch(/^department +not contacted yet$/m);
  });

  it('names a device without an asset tag by make, model and address in the list and the task', async () => {
    // As discovery leaves a device: no asset tag, only what the network showed.
    const unit = await addDevice(vdb, cliActor, {
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
      macs: ['00:60:35:0a:11:42'],
      ips: ['10.40.0.42'],
      site: 'Main Campus',
    });
    const label = 'Philips Tasy EMR HTML5 (10.40.0.42)';
    const c = await run('tasks', 'create', '--device', '00:60:35:0a:11:42', '--vuln', 'CVE-2021-39375');
    expect(c.out).toMatch(
      /^Task \S+ created \(open\): CVE-2021-39375 on Philips Tasy EMR HTML5 \(10\.40\.0\.42\)\n$/,
    );
    const id = c.out.split(' ')[1]!;
    const row = (await run('tasks', 'list', '--device', unit.id)).out
      .split('\n')
      .find((l) => l.includes(id))!;
    expect(row).toContain(label);
    expect(row).not.toContain(unit.id);
    expect((await run('tasks', 'show', id)).out).toContain(
      `device         ${label} (${unit.id}), Main Campus`,
    );
  });

  it("lists a finding's task by the finding's title, not its id", async () => {
    // A CT sending a study in the clear (the real dcmtk capture): a cleartext-phi finding.
    await importCaptureFile(
      vdb,
      join(import.meta.dirname, '../../../test/fixtures/captures/dicom-ct-store.pcap'),
    );
    const [finding] = await listFindings(vdb, cliActor, { type: 'cleartext-phi' });
    const c = await run('tasks', 'create', '--finding', finding!.id);
    expect(c.code).toBe(0);
    const id = c.out.split(' ')[1]!;
    const row = (await run('tasks', 'list', '--device', finding!.deviceId)).out
      .split('\n')
      .find((l) => l.includes(id))!;
    expect(row).toContain(finding!.title);
    expect(row).not.toContain(finding!.id);
    // Due when the work queue says the finding is (its decision's SLA), not left without a date.
    const [item] = (await listQueuePage(vdb, cliActor, { deviceId: finding!.deviceId })).items.filter(
      (i) => i.findingId === finding!.id,
    );
    expect(item?.due).toBeTruthy();
    const task = JSON.parse((await run('tasks', 'show', id, '--json')).out) as { due: string };
    expect(task.due).toBe(item!.due);
  });

  it('lists task events the CMMS never got, and resends them once it is back', async () => {
    const status = { code: 503 };
    const got: { status: number; id: string }[] = [];
    const rx = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        got.push({ status: status.code, id: (JSON.parse(body) as { id: string }).id });
        res.writeHead(status.code).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/cmms`;
    const secret = 'a-cmms-webhook-signing-secret-of-44-characters';
    await addDestination(vdb, cliActor, { name: 'cmms', kind: 'webhook', url, secret, events: ['tasks'] });
    try {
      await addDevice(vdb, cliActor, {
        assetTag: 'TASY-5',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1803',
      });
      const made = await run('tasks', 'create', '--device', 'TASY-5', '--vuln', 'CVE-2021-39375');
      expect([made.code, made.err]).toEqual([0, '']);
      const dispatcher = new TaskEventDispatcher(vdb, {
        queue: { maxAttempts: 1, clock: { now: () => Date.now(), sleep: async () => {} } },
      });
      await dispatcher.start();
      await dispatcher.drain();
      await dispatcher.stop();

      const table = await run('tasks', 'dead-letters');
      expect(table.out).toMatch(/^DESTINATION +TYPE +SUBJECT +OCCURRED +ATTEMPTS +LAST ERROR +ID/);
      expect(table.out).toMatch(
        /\ncmms +vigil\.task\.created +\S+ +\S+ +1 +failed: webhook http:\/\/127\.0\.0\.1/,
      );
      const [dead] = JSON.parse((await run('tasks', 'dead-letters', '--json')).out) as {
        id: string;
        eventId: string;
      }[];
      const neither = await run('tasks', 'retry');
      expect([neither.code, neither.err]).toEqual([65, expect.stringContaining('or --all')]);
      const still = await run('tasks', 'retry', dead!.id);
      expect([still.code, still.out]).toEqual([69, `Still failing at cmms: webhook ${url}: HTTP 503\n`]);
      status.code = 200;
      const all = await run('tasks', 'retry', '--all');
      expect([all.code, all.out]).toEqual([
        0,
        '1 delivered, 0 still failing, 0 skipped (their destination failed).\n',
      ]);
      expect(got.map((g) => [g.status, g.id])).toEqual([
        [503, dead!.eventId],
        [503, dead!.eventId],
        [200, dead!.eventId],
      ]);
      expect(JSON.parse((await run('tasks', 'dead-letters', '--json')).out)).toEqual([]);
      expect((await run('tasks', 'retry', dead!.id)).code).toBe(65);
    } finally {
      await removeDestination(vdb, cliActor, 'cmms');
      rx.close();
    }
  });
});
