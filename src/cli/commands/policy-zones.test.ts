/**
 * `vigil policy propose --zones …` and its port guidance in the human output, through the built binary
 * (dist/, built by the test global setup) on a temporary SQLite file. The inventory (site, segment, three
 * devices in two departments, one of them the Fujifilm CR of the real CISA advisory ICSMA-19-113-01) is
 * written through the services first; the flows are the real legacy-device capture
 * (test/fixtures/policy/PROVENANCE.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../../test/factories.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { addDevice } from '../../inventory/inventory-service.js';
import { addSegment, createSite } from '../../inventory/site-service.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';

const root = resolve(import.meta.dirname, '../../..');
const LEGACY = join(root, 'test/fixtures/policy/legacy-dicom-telnet-ftp.pcap');
let db: string;

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/vigil.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'vigil-policy-zones-')), 'vigil.db');
  const vdb = await openDatabase(`sqlite:${db}`);
  try {
    await migrateToLatest(vdb);
    await createSite(vdb, cliActor, { name: 'SGH' });
    await addSegment(vdb, cliActor, 'SGH', { name: 'clinical', cidrs: ['10.20.0.0/24'], zone: 'clinical' });
    const site = { site: 'SGH' };
    await addDevice(vdb, cliActor, {
      assetTag: 'CT-1',
      deviceClass: 'imaging-ct',
      department: 'Radiology',
      ips: ['10.20.0.21'],
      ...site,
    });
    await addDevice(vdb, cliActor, {
      assetTag: 'WS-1',
      deviceClass: 'medical-workstation',
      department: 'Cardiology',
      ips: ['10.20.0.50'],
      ...site,
    });
    await addDevice(vdb, cliActor, {
      assetTag: 'CR-1',
      manufacturer: 'Fujifilm',
      model: 'FCR XC-2',
      modelNumber: 'CR-IR 357',
      deviceClass: 'imaging-xr',
      department: 'Radiology',
      ips: ['10.20.0.40'],
      ...site,
    });
    await importAdvisoryPaths(vdb, cliActor, [join(root, 'test/fixtures/policy/icsma-19-113-01.json')]);
  } finally {
    await vdb.close();
  }
}, 120_000);

describe('vigil policy propose --zones (built binary)', () => {
  it('says how many link-local and mDNS flows it left out', () => {
    const mdns = join(root, 'test/fixtures/captures/01-dhcp-dns-mdns.pcap');
    const r = vigil(['policy', 'propose', '--site', 'SGH', '--capture', mdns]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^From \d+ flows \(left out: 3 mDNS\)\./m);
    expect(r.stdout).not.toMatch(/5353/);
    const json = JSON.parse(
      vigil(['policy', 'propose', '--site', 'SGH', '--capture', mdns, '--json']).stdout,
    );
    expect(json).toMatchObject({ linkLocal: 0, mdns: 3, llmnr: 0 });
  });

  it('groups by department and lists the port guidance with its source', () => {
    const r = vigil(['policy', 'propose', '--site', 'SGH', '--capture', LEGACY, '--zones', 'department']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^r\d+ +clinical@Cardiology +clinical@Radiology +23\/tcp telnet +yes$/m);
    expect(r.stdout).toMatch(/^r\d+ +clinical@Radiology +clinical@Radiology +104\/tcp dicom +-$/m);
    expect(r.stdout).toMatch(/^Port guidance \(1\):$/m);
    expect(r.stdout).toMatch(
      /^ {2}r\d+ 23\/tcp: exposure \(review\), advisory ICSMA-19-113-01: The device provides insecure telnet services that lack authentication requirements\.$/m,
    );

    const json = vigil([
      'policy',
      'propose',
      '--site',
      'SGH',
      '--capture',
      LEGACY,
      '--zones',
      'class+department',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const draft = JSON.parse(json.stdout) as {
      policy: {
        zones: string;
        rules: { port: number; from: { department?: string; deviceClass?: string } }[];
      };
      guidance: { advisoryId: string }[];
    };
    expect(draft.policy.zones).toBe('class+department');
    expect(draft.policy.rules.find((x) => x.port === 23)?.from).toMatchObject({
      deviceClass: 'medical-workstation',
      department: 'Cardiology',
    });
    expect(draft.guidance.map((g) => g.advisoryId)).toEqual(['ICSMA-19-113-01']);

    const bad = vigil(['policy', 'propose', '--site', 'SGH', '--capture', LEGACY, '--zones', 'ward']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/zones/);
  }, 180_000);
});
