/**
 * DICOM senders that forward other equipment's objects, through the store: in one capture and across
 * imports. Fixtures are real dcmtk traffic (test/fixtures/captures/PROVENANCE.md): the shared capture 02
 * and its CT association re-addressed with tcprewrite as if the ECG cart had sent it a day later.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { importSource } from '../cli/commands/import.js';
import { showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);
const ALL_SENDERS = '02-dicom-cleartext.pcap';
/** The CT's association (GE RHAPSODE image) sent from the ECG cart's MAC and address, a day later. */
const CT_FROM_ECG_CART = 'dicom-ct-store-from-ecg-cart.pcap';
const CT = '44:4b:5d:c7:21:01';
const ECG = '00:0f:82:ec:60:23';

const label = (d: Awaited<ReturnType<typeof showDevice>>) => ({
  manufacturer: d.manufacturer,
  model: d.model,
  deviceClass: d.deviceClass,
  softwareVersion: d.softwareVersion,
});

describe.each(DIALECTS)('DICOM forwarders on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  const load = async (...files: string[]) => {
    vdb = await freshDatabase(dialect);
    for (const f of files) await importSource(vdb, cliActor, fixture(f), { progress: false });
  };

  it('labels the workstation by what it is, not by the CT image it forwards; the CT and the ECG cart keep theirs', async () => {
    await load(ALL_SENDERS);
    const ws = await showDevice(vdb, cliActor, '10.20.0.50');
    expect(label(ws)).toEqual({
      manufacturer: null,
      model: null,
      deviceClass: 'unknown',
      softwareVersion: null,
    });
    expect(ws.suggestions).toEqual([
      expect.objectContaining({ field: 'deviceClass', value: 'medical-workstation', confidence: 0.5 }),
    ]);
    expect(ws.hints.find((h) => h.kind === 'dicom.forwarder')).toMatchObject({
      value: 'sends objects made by 2 different devices: a forwarder',
      evidence: { summary: expect.stringContaining('a forwarder (workstation, PACS or router)') },
    });
    expect(label(await showDevice(vdb, cliActor, '10.20.0.22'))).toMatchObject({
      manufacturer: null,
      model: null,
    });
    expect(label(await showDevice(vdb, cliActor, CT))).toEqual({
      manufacturer: 'GE Medical Systems',
      model: 'RHAPSODE',
      deviceClass: 'imaging-ct',
      softwareVersion: '05',
    });
    const ecg = await showDevice(vdb, cliActor, ECG);
    expect(label(ecg)).toEqual({
      manufacturer: 'Mortara Instrument',
      model: 'el250',
      deviceClass: 'unknown',
      softwareVersion: null,
    });
    // Vigil has no ECG class: a 12-lead waveform suggests other-medical, below the fact threshold.
    expect(ecg.suggestions).toEqual([
      expect.objectContaining({ field: 'deviceClass', value: 'other-medical', confidence: 0.55 }),
    ]);
  });

  it.each([
    ['ECG waveform first, CT image a day later', [ALL_SENDERS, CT_FROM_ECG_CART]],
    ['the later capture imported first', [CT_FROM_ECG_CART, ALL_SENDERS]],
  ])('takes back what one import read from a sender that another shows forwarding (%s)', async (_, files) => {
    await load(...files);
    const ecg = await showDevice(vdb, cliActor, ECG);
    expect(label(ecg)).toEqual({
      manufacturer: null,
      model: null,
      deviceClass: 'unknown',
      softwareVersion: null,
    });
    expect(ecg.state).toBe('staged');
    // Neither import's data-set claims remain as facts; the suggestions say why and what else is known.
    expect(ecg.facts.filter((f) => f.source === 'capture').map((f) => f.field)).toEqual([]);
    expect(ecg.suggestions.map((s) => [s.field, s.value])).toEqual([
      ['deviceClass', 'medical-workstation'],
      ['manufacturer', 'Mortara Instrument'],
    ]);
    expect(ecg.suggestions[0]?.evidence.summary).toContain('rule dicom-forwarder');
    expect(ecg.hints.filter((h) => h.kind === 'dicom.forwarder').map((h) => h.value)).toEqual([
      'sends objects made by 2 different devices: a forwarder',
    ]);
    // The CT scanner itself is untouched.
    expect(label(await showDevice(vdb, cliActor, CT))).toMatchObject({ manufacturer: 'GE Medical Systems' });
    // Whatever was stored first and then withdrawn is in the audit log with the reason.
    const audit = await listAudit(vdb, { action: 'device.observe' });
    const withdrawal = audit.find((e) => e.targetId === ecg.id && e.summary['withdrawn']);
    expect(withdrawal?.summary).toMatchObject({
      reason: 'sends objects made by 2 different devices: a forwarder',
      after: { manufacturer: null, model: null }, // its 0.0.0 was never taken as a version
    });
    // Seen again, the forwarder stays as it is.
    for (const f of files) {
      const again = await importSource(vdb, cliActor, fixture(f), { progress: false });
      expect(again.devices).toMatchObject({ staged: 0, updated: 0 });
    }
    expect(await showDevice(vdb, cliActor, ECG)).toEqual(ecg);
  });
});
