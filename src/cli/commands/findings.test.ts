/**
 * `vigil findings …` in-process against a temporary SQLite file (test/cli-in-process.ts): `vigil import`
 * of the HL7 capture (test/fixtures/captures/04-hl7-mllp.pcap, fake patient data; see PROVENANCE.md)
 * finds cleartext PHI sent by two passively discovered hosts, and the list and show name each device
 * by its label (here its address: no asset tag, make or model is known yet), not by its UUID.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const CAPTURES = resolve(import.meta.dirname, '../../../test/fixtures/captures');
let db: string;
const vigil = (args: string[]) => vigilInProcess(args, { db: `sqlite:${db}` });

interface FindingJson {
  id: string;
  subject: string;
  deviceId: string;
  deviceLabel: string;
  evidence: { connection: string };
}

describe('vigil findings', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-findings-')), 'vigil.db');
    expect((await vigil(['import', join(CAPTURES, '04-hl7-mllp.pcap')])).code).toBe(0);
  });

  it('lists and shows findings with the device label beside its id', async () => {
    const list = await vigil(['findings', 'list', '--json']);
    expect(list.code).toBe(0);
    const items = JSON.parse(list.stdout) as FindingJson[];
    expect(items.map((f) => f.deviceLabel).sort()).toEqual(['10.30.0.41', '10.30.0.42']);
    for (const f of items) expect(f.evidence.connection.startsWith(`${f.deviceLabel}:`)).toBe(true);

    const table = (await vigil(['findings', 'list'])).stdout;
    expect(table).toMatch(/SUBJECT\s+DEVICE\s+STATE/);
    for (const f of items) {
      expect(table).toMatch(
        new RegExp(`hl7:2575\\s+${f.deviceLabel.replaceAll('.', '\\.')}\\s+open\\s.*${f.id}`),
      );
      expect(table).not.toContain(f.deviceId);
    }

    const f = items[0]!;
    const show = await vigil(['findings', 'show', f.id]);
    expect(show.stdout).toContain(`device       ${f.deviceLabel} (${f.deviceId})\n`);
    const ack = await vigil(['findings', 'ack', f.id]);
    expect(ack.stdout).toBe(
      `Finding ${f.id} (cleartext-phi hl7:2575 on ${f.deviceLabel}) is acknowledged.\n`,
    );
    const fp = await vigil(['findings', 'false-positive', f.id]);
    expect(fp.code).toBe(65);
    expect(fp.stderr).toContain('Say why it is a false positive: give --reason TEXT');
  });

  it('--device takes the label people see (an address), not only the id', async () => {
    const items = JSON.parse((await vigil(['findings', 'list', '--json'])).stdout) as FindingJson[];
    const f = items.find((i) => i.deviceLabel === '10.30.0.41')!;
    const byAddress = await vigil(['findings', 'list', '--device', '10.30.0.41', '--json']);
    expect(byAddress.code).toBe(0);
    expect((JSON.parse(byAddress.stdout) as FindingJson[]).map((i) => i.id)).toEqual([f.id]);
    const byId = await vigil(['findings', 'list', '--device', f.deviceId, '--json']);
    expect((JSON.parse(byId.stdout) as FindingJson[]).map((i) => i.id)).toEqual([f.id]);
    // A reference that names no device is an error, not an empty list that reads as "no findings".
    const unknown = await vigil(['findings', 'list', '--device', '10.99.99.99']);
    expect(unknown.code).toBe(66);
    expect(unknown.stderr).toContain('10.99.99.99');
  });
});
