/**
 * The matcher's bases and their order. The recall is the real Weck record (Z-0418-05) and a real
 * GUDID record (FDA's openFDA pipeline sample); devices and the two GUDID links are constructed here
 * to reach each basis, which no retrievable real pair shows on its own.
 */
import { describe, expect, it } from 'vitest';
import {
  type DeviceForMatch,
  DeviceIndex,
  type GudidInfo,
  matchRecallToDevice,
  prepareRecall,
} from './match.js';

const weck = prepareRecall({
  id: 'r1',
  recallNumber: 'Z-0418-05',
  productCode: 'GDO',
  kNumbers: [],
  pmaNumbers: [],
  productDescription:
    "Weck Electrosurgical Coagulation Suction  Tube (with stylet), REF 809600, Cannula 6''  11 French, Rx Only, Sterile, Weck A Teleflex Company",
  codeInfo: 'Catalogue #809600, Lot #978933 & 978934',
  recallingFirm: 'Weck',
});

const device = (over: Partial<DeviceForMatch>): DeviceForMatch => ({
  id: 'd1',
  label: 'TAG-1',
  modelId: 'm1',
  model: null,
  modelNumber: null,
  productCode: null,
  manufacturer: null,
  serial: null,
  di: null,
  lot: null,
  udiSerial: null,
  gudid: null,
  modelGudid: [],
  ...over,
});

const gudid = (over: Partial<GudidInfo>): GudidInfo => ({
  recordKey: '33e1d2ec-8555-43d0-8421-b208e7185d06',
  primaryDi: '00844588018923',
  productCodes: ['OQG', 'MAX'],
  submissions: ['K094035', 'P950002'],
  modelNumber: '1107-0-3258',
  catalogNumber: '1107-0-3258',
  companyName: 'CONSENSUS ORTHOPEDICS, INC.',
  ...over,
});

describe('matchRecallToDevice', () => {
  it('udi: the GUDID record of the device DI has the product code and a model the recall names', () => {
    const d = device({
      di: '00844588018923',
      lot: '978933',
      gudid: gudid({ productCodes: ['GDO'], catalogNumber: '809600' }),
    });
    const m = matchRecallToDevice(weck, d)!;
    expect(m).toMatchObject({
      basis: 'udi',
      confidence: 'high',
      state: 'matched',
      evidence: { di: '00844588018923', lot: '978933' },
    });
    expect(m.explanation).toContain('GUDID record');
  });

  it('udi: a DI written in the recall text', () => {
    const p = prepareRecall({ ...weck.recall, codeInfo: 'UDI-DI 00844588018923, all lots' });
    expect(matchRecallToDevice(p, device({ di: '00844588018923' }))).toMatchObject({
      basis: 'udi',
      confidence: 'high',
    });
  });

  it('510k: shared premarket submission; high with the model named, low without', () => {
    const p = prepareRecall({ ...weck.recall, kNumbers: ['K094035'] });
    const g = gudid({});
    expect(matchRecallToDevice(p, device({ modelGudid: [g], modelNumber: '809600' }))).toMatchObject({
      basis: '510k',
      confidence: 'high',
      evidence: { submissions: ['K094035'] },
    });
    expect(matchRecallToDevice(p, device({ modelGudid: [g], modelNumber: '12-34' }))).toMatchObject({
      basis: '510k',
      confidence: 'low',
      state: 'candidate',
    });
  });

  it('product code + firm + model; firm + model; nothing on firm alone', () => {
    const base = { manufacturer: 'Weck', modelNumber: '809600' };
    expect(matchRecallToDevice(weck, device({ ...base, productCode: 'GDO' }))).toMatchObject({
      basis: 'product-code',
      confidence: 'medium',
      state: 'candidate',
    });
    expect(matchRecallToDevice(weck, device(base))).toMatchObject({ basis: 'firm-model', confidence: 'low' });
    expect(matchRecallToDevice(weck, device({ manufacturer: 'Weck', modelNumber: '999999' }))).toBeNull();
    // A model number too short to be specific is not looked for in text.
    expect(matchRecallToDevice(weck, device({ manufacturer: 'Weck', modelNumber: '6' }))).toBeNull();
  });

  it('a listed lot the device does not carry excludes it', () => {
    const d = device({ manufacturer: 'Weck', modelNumber: '809600', lot: '111111' });
    expect(matchRecallToDevice(weck, d)).toBeNull();
  });

  it('a device without a lot or serial keeps its match, and the explanation says what to check', () => {
    // The sentence is whole: it ended "check this device’s" before.
    const byLot = matchRecallToDevice(weck, device({ manufacturer: 'Weck', modelNumber: '809600' }))!;
    expect(byLot.evidence.unitCheck).toBe('lot numbers are listed; this device has no lot recorded');
    expect(byLot.explanation).toBe(
      'Z-0418-05 → TAG-1: firm Weck = Weck and the recall names 809600; the recall lists lots and none is recorded for this device: check its lot',
    );
    const ranged = prepareRecall({ ...weck.recall, codeInfo: 'Serial Numbers:  RRFK00036 - RRFK00128.' });
    const bySerial = matchRecallToDevice(ranged, device({ manufacturer: 'Weck', modelNumber: '809600' }))!;
    expect(bySerial.explanation).toMatch(
      /; the recall lists serial numbers and none is recorded for this device: check its serial number$/,
    );
  });

  it('the index offers only devices that could match', () => {
    const a = device({ id: 'a', manufacturer: 'Weck', modelNumber: '809600' });
    const b = device({ id: 'b', manufacturer: 'Other', modelNumber: '809600' });
    const c = device({ id: 'c', productCode: 'GDO' });
    const ids = new DeviceIndex([a, b, c]).candidates(weck).map((d) => d.id);
    expect(ids.sort()).toEqual(['a', 'c']);
  });
});
