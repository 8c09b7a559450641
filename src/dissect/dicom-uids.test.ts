import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES } from '../inventory/device.js';
import { fixtureText } from './dicom-test-fixtures.js';
import {
  DICOM_MODALITY_CLASSES,
  DICOM_SERVICE_BY_UID,
  DICOM_SOP_CLASS_NAMES,
  DICOM_STORAGE_PRODUCERS,
  dicomService,
  dicomUidName,
  implementationStack,
  impliedDicomRole,
  transferSyntaxEncoding,
} from './dicom-uids.js';

describe('DICOM UID names', () => {
  it("agree with Wireshark's for every abstract and transfer syntax dcmtk proposed in the captures", () => {
    const lines = fixtureText('tshark-syntax-names.txt').trim().split('\n');
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) {
      const m = /^(?:Abstract|Transfer) Syntax: (.*) \(([0-9.]+)\)$/.exec(line)!;
      const [, wireshark, uid] = m;
      // Wireshark adds ": Default Transfer Syntax for DICOM" to implicit VR little endian.
      expect(wireshark!.startsWith(dicomUidName(uid!) ?? '<none>'), `${uid} ${wireshark}`).toBe(true);
    }
  });

  it('name every UID the role tables use, so a typo in a UID cannot hide', () => {
    for (const uid of [...Object.keys(DICOM_STORAGE_PRODUCERS), ...Object.keys(DICOM_SERVICE_BY_UID)]) {
      expect(DICOM_SOP_CLASS_NAMES[uid], uid).toBeDefined();
    }
    for (const uid of Object.keys(DICOM_STORAGE_PRODUCERS)) expect(dicomService(uid), uid).toBe('storage');
  });

  it('use only device classes of the inventory vocabulary', () => {
    const known = new Set<string>(DEVICE_CLASSES);
    for (const c of [...Object.values(DICOM_STORAGE_PRODUCERS), ...Object.values(DICOM_MODALITY_CLASSES)]) {
      expect(known.has(c), c).toBe(true);
    }
  });
});

describe('transferSyntaxEncoding', () => {
  it('knows which data sets the scanner can read', () => {
    expect(transferSyntaxEncoding('1.2.840.10008.1.2')).toBe('implicit-le');
    expect(transferSyntaxEncoding('1.2.840.10008.1.2.1')).toBe('explicit-le');
    expect(transferSyntaxEncoding('1.2.840.10008.1.2.4.50')).toBe('explicit-le'); // JPEG baseline
    expect(transferSyntaxEncoding('1.2.840.10008.1.2.5')).toBe('explicit-le'); // RLE
    expect(transferSyntaxEncoding('1.2.840.10008.1.2.1.99')).toBe('deflated');
    expect(transferSyntaxEncoding('1.2.840.10008.1.2.2')).toBe('explicit-be');
    expect(transferSyntaxEncoding('1.2.3.4')).toBeUndefined();
  });
});

describe('implementationStack', () => {
  it('recognises toolkits by implementation class UID root', () => {
    expect(implementationStack('1.2.276.0.7230010.3.0.3.6.7')).toBe('dcmtk'); // storescu/storescp/Orthanc above
    expect(implementationStack('1.2.826.0.1.3680043.9.3811.2.0.2')).toBe('pynetdicom');
    expect(implementationStack('1.2.826.0.1.3680043.8.498.1')).toBe('pydicom');
    expect(implementationStack('1.3.6.1.4.1.30071.8')).toBe('fo-dicom');
    expect(implementationStack('1.2.40.0.13.1.3')).toBe('dcm4che');
    expect(implementationStack('1.2.826.0.1.3680043.2.1143.107.104.103.115.3.0.10')).toBe('gdcm');
  });

  it('matches whole UID components only', () => {
    expect(implementationStack('1.2.276.0.72300101')).toBeUndefined();
    expect(implementationStack('1.2.40.0.13.1.30')).toBeUndefined();
    expect(implementationStack('')).toBeUndefined();
  });
});

describe('impliedDicomRole', () => {
  it('says what using a SOP class as SCU or SCP suggests', () => {
    expect(impliedDicomRole('1.2.840.10008.5.1.4.1.1.2', 'scu')).toEqual({
      role: 'modality',
      deviceClass: 'imaging-ct',
      confidence: 'medium',
    });
    expect(impliedDicomRole('1.2.840.10008.5.1.4.1.1.2', 'scp')).toMatchObject({
      role: 'pacs',
      deviceClass: 'pacs',
    });
    expect(impliedDicomRole('1.2.840.10008.5.1.4.31', 'scu')).toMatchObject({
      role: 'modality',
      confidence: 'high',
    });
    expect(impliedDicomRole('1.2.840.10008.5.1.4.31', 'scp')).toMatchObject({ role: 'ris' });
    expect(impliedDicomRole('1.2.840.10008.1.20.1', 'scp')).toMatchObject({
      role: 'pacs',
      confidence: 'high',
    });
    expect(impliedDicomRole('1.2.840.10008.5.1.4.1.2.2.1', 'scu')).toMatchObject({ role: 'workstation' });
  });

  it('says nothing for verification, for reports sent to storage, or for unknown classes', () => {
    expect(impliedDicomRole('1.2.840.10008.1.1', 'scu')).toBeUndefined();
    expect(impliedDicomRole('1.2.840.10008.1.1', 'scp')).toBeUndefined();
    expect(impliedDicomRole('1.2.840.10008.5.1.4.1.1.88.11', 'scu')).toBeUndefined(); // Basic Text SR
    expect(impliedDicomRole('1.2.840.10008.5.1.1.40', 'scp')).toBeUndefined(); // Display System, not print
    expect(impliedDicomRole('1.2.3.4', 'scu')).toBeUndefined();
  });
});

describe('DICOM_STORAGE_MODALITIES (the storage-class → modality table the fingerprint rules use)', () => {
  it('every class is a storage class with a registry name, and its modality has a device class', async () => {
    const { DICOM_STORAGE_MODALITIES, DICOM_SOP_CLASS_NAMES, DICOM_MODALITY_CLASSES } = await import(
      './dicom-uids.js'
    );
    for (const [uid, modality] of Object.entries(DICOM_STORAGE_MODALITIES)) {
      expect(DICOM_SOP_CLASS_NAMES[uid], uid).toMatch(/Storage/);
      if (!['RTIMAGE', 'RTPLAN'].includes(modality))
        expect(DICOM_MODALITY_CLASSES[modality], modality).toBeDefined();
    }
  });
});
