/**
 * `vigil vex add|import --device` in process (the commands registered on a fresh program against a test
 * database): the device is given as people know it, by asset tag, on the real Philips Tasy advisory
 * ICSMA-21-308-01 (TASY-1 runs 3.06.1700, inside "<= 3.06.1803").
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRunner } from '../../../test/cli-commands.js';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { streamVulnMatches } from '../../matching/vulns-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { registerSbomVexCommands } from './sbom-vex.js';

const ADVISORY = join(import.meta.dirname, '../../../test/fixtures/advisories/csaf/icsma-21-308-01.json');

describe.each(DIALECTS)('vigil vex --device on %s', (dialect) => {
  let vdb: VigilDatabase;
  let deviceId: string;
  const run = commandRunner(registerSbomVexCommands, () => vdb);

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    deviceId = (
      await addDevice(vdb, cliActor, {
        assetTag: 'TASY-1',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1700',
      })
    ).id;
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
  });
  afterAll(async () => vdb?.close());

  it('vex add --device takes the asset tag, and the statement changes that device’s match', async () => {
    const r = await run(
      'vex',
      'add',
      '--vuln',
      'CVE-2021-39375',
      '--status',
      'not-affected',
      '--justification',
      'inline_mitigations_already_exist',
      '--statement',
      'web UI not reachable from the clinical VLAN',
      '--device',
      'TASY-1',
    );
    expect(r.err).toBe('');
    expect(r.code ?? 0).toBe(0);
    // The statement names the device by its tag, not by its internal id.
    expect(r.out).toMatch(/^VEX statement \S+: CVE-2021-39375 not-affected for device TASY-1\.\n$/);
    const matches = [];
    for await (const m of streamVulnMatches(vdb, cliActor, { deviceId, vulnerability: 'CVE-2021-39375' }))
      matches.push(m);
    expect(matches).toMatchObject([{ status: 'not-affected' }]);
    expect(matches[0]?.matchedBy).toContain('vex-hospital');
    const unknown = await run(
      'vex',
      'add',
      '--vuln',
      'CVE-2021-39375',
      '--status',
      'fixed',
      '--device',
      'NOPE-9',
    );
    expect(unknown.code).toBe(66);
  });
});
