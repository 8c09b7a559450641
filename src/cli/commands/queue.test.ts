/**
 * `vigil queue` in process (the commands registered on a fresh program against a test database): the
 * DEVICE column names each device as people know it, the asset tag of a CMMS device and the make,
 * model and address of one only the network showed, on the real Philips Tasy advisory ICSMA-21-308-01.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRunner } from '../../../test/cli-commands.js';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { addOverride } from '../../risk/overrides-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { registerQueueCommands } from './queue.js';

const ADVISORY = join(import.meta.dirname, '../../../test/fixtures/advisories/csaf/icsma-21-308-01.json');

describe.each(DIALECTS)('vigil queue on %s', (dialect) => {
  let vdb: VigilDatabase;
  let unitId: string;
  const run = commandRunner(registerQueueCommands, () => vdb);

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await addDevice(vdb, cliActor, {
      assetTag: 'TASY-1',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
    });
    // As discovery leaves a device: no asset tag, only what the network showed.
    unitId = (
      await addDevice(vdb, cliActor, {
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1700',
        macs: ['00:60:35:0a:11:42'],
        ips: ['10.40.0.42'],
      })
    ).id;
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
  });
  afterAll(async () => vdb?.close());

  it('shows the asset tag, else make, model and address, in the DEVICE column and the evidence view', async () => {
    const table = await run('queue');
    expect(table.code).toBe(0);
    const rows = table.out.split('\n').filter((l) => l.includes('CVE-2021-'));
    expect(rows).toHaveLength(4);
    expect(rows.filter((l) => l.includes(' Philips Tasy EMR HTML5 (10.40.0.42) '))).toHaveLength(2);
    expect(table.out).not.toContain(unitId);

    const why = await run('queue', '--why');
    expect(why.out).toMatch(/^\d+\. [A-Z-]+ Philips Tasy EMR HTML5 \(10\.40\.0\.42\) CVE-2021-39375 due /m);

    const json = JSON.parse((await run('queue', '--json')).out) as {
      deviceId: string;
      deviceLabel: string;
    }[];
    // A CMMS device is named by its asset tag, the other by make, model and address.
    expect(new Set(json.map((i) => `${i.deviceId === unitId ? 'unit' : 'cmms'} ${i.deviceLabel}`))).toEqual(
      new Set(['cmms TASY-1', 'unit Philips Tasy EMR HTML5 (10.40.0.42)']),
    );
  });

  it('says nothing is overdue, not that the queue is empty, when --overdue finds nothing', async () => {
    // The matches were first seen just now: none is past its SLA yet.
    for (const args of [
      ['queue', '--overdue'],
      ['queue', '--overdue', '--groups'],
    ]) {
      const r = await run(...args);
      expect(r).toMatchObject({ code: 0, out: 'Nothing overdue: no item is past its due date.\n' });
    }
    expect((await run('queue')).out).not.toContain('Nothing');
  });

  it('names the target of each risk override by the device label or the model, not its id', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const reason = 'segmented behind the clinical firewall';
    await addOverride(vdb, cliActor, {
      scope: 'device',
      device: unitId,
      point: 'EXP',
      value: 'small',
      reason,
      expiresAt,
    });
    await addOverride(vdb, cliActor, {
      scope: 'model',
      device: 'TASY-1',
      point: 'EXP',
      value: 'small',
      reason,
      expiresAt,
    });
    const list = await run('override', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/ device +Philips Tasy EMR HTML5 \(10\.40\.0\.42\) +EXP +small /);
    expect(list.out).toMatch(/ model +Philips Tasy EMR HTML5 +EXP +small /);
    expect(list.out).not.toContain(unitId);
  });
});
