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

/**
 * Real openFDA device recall records of one firm: the RotoProne bed (cfres_id 43492, as in
 * test/fixtures/recalls/device-recall-sample.json) and the KCI Underbed Inverter
 * (https://api.fda.gov/device/recall.json?search=cfres_id:32350; code_info cut to its first serials).
 */
const rotoProne = prepareRecall({
  id: 'r2',
  recallNumber: 'Z-0520-06',
  productCode: 'IKZ',
  kNumbers: [],
  pmaNumbers: [],
  productDescription:
    'RotoProne powered patient rotation bed, part #209500, distributed by Kinetic Concepts, Inc., San Antonio, TX.',
  codeInfo: 'Serial Numbers:  RRFK00036 - RRFK00128.',
  recallingFirm: 'Kinetic Concepts, Inc',
});
const inverter = prepareRecall({
  id: 'r3',
  recallNumber: 'Z-0890-04',
  productCode: 'IOQ',
  kNumbers: [],
  pmaNumbers: [],
  productDescription:
    'KCI Underbed Inverter, Accessory to Powered Flotation Therapy Bed, manufactured by Kinetic Concepts, Inc., San Antonio, TX.  Model number 201189',
  codeInfo: 'Serial numbers: IVAK00004, IVAK00023, IVAK00028, IVAK00034, IVAK00033',
  recallingFirm: 'Kinetic Concepts, Inc',
});

describe('a recall names the firm and the model as FDA writes them, the inventory as the hospital does', () => {
  const bed = (over: Partial<DeviceForMatch>) =>
    device({ manufacturer: 'KCI', model: 'RotoProne', serial: 'RRFK00050', ...over });

  it.each([
    ['KCI', 'RotoProne'],
    ['KCI USA, Inc.', 'RotoProne'],
    ['KCI', 'RotoProne Bed'],
    ['KCI', 'RotoProne 209500'],
    ['KCI', 'KCI RotoProne'],
  ])('%s %s matches Z-0520-06 by its listed serial', (manufacturer, model) => {
    const d = bed({ manufacturer, model });
    expect(new DeviceIndex([d]).candidates(rotoProne)).toEqual([d]);
    expect(matchRecallToDevice(rotoProne, d)).toMatchObject({
      basis: 'firm-model',
      confidence: 'high',
      state: 'matched',
      evidence: { firm: 'Kinetic Concepts, Inc', serial: 'RRFK00050' },
    });
  });

  it('says which names were taken as one firm and which model name was found', () => {
    const m = matchRecallToDevice(rotoProne, bed({ model: 'KCI RotoProne' }))!;
    expect(m.evidence.modelNamed).toBe('RotoProne');
    expect(m.explanation).toBe(
      'Z-0520-06 → TAG-1: firm Kinetic Concepts, Inc = KCI (both KCI) and the recall names RotoProne; serial RRFK00050 is listed',
    );
  });

  it('does not match another product of the firm, another firm, or a unit outside the serial range', () => {
    expect(matchRecallToDevice(inverter, bed({}))).toBeNull();
    const underbed = device({ manufacturer: 'KCI', model: 'Underbed Inverter', modelNumber: '201189' });
    expect(matchRecallToDevice(rotoProne, underbed)).toBeNull();
    expect(matchRecallToDevice(inverter, underbed)).toMatchObject({ basis: 'firm-model' });
    // A bed of the same kind: "therapy bed" is in the Inverter recall, but no word of the device's own.
    expect(matchRecallToDevice(inverter, bed({ model: 'RotoProne Therapy Bed' }))).toBeNull();
    expect(matchRecallToDevice(rotoProne, bed({ manufacturer: 'Hill-Rom' }))).toBeNull();
    expect(new DeviceIndex([bed({ manufacturer: 'Hill-Rom' })]).candidates(rotoProne)).toEqual([]);
    expect(matchRecallToDevice(rotoProne, bed({ serial: 'RRFK00200' }))).toBeNull();
  });

  it('finds a model word by word, in any order, only when every word of it is in the text', () => {
    expect(matchRecallToDevice(rotoProne, bed({ model: 'Bed, RotoProne' }))).toMatchObject({
      evidence: { modelNamed: 'Bed, RotoProne' },
    });
    // "rotation bed" is in the text, "Rotation Therapy" is not; the 7 of "Powered 7" could be anywhere.
    expect(matchRecallToDevice(rotoProne, bed({ model: 'Rotation Therapy' }))).toBeNull();
    const seven = prepareRecall({ ...rotoProne.recall, codeInfo: 'Serial Numbers: 7 units, RRFK00036.' });
    expect(matchRecallToDevice(seven, bed({ model: 'Powered 7', serial: null }))).toBeNull();
  });
});

/**
 * A model name that is only the maker and a kind of device names no product. No openFDA record of these
 * recalls could be retrieved whole, so the descriptions are the product names as the review of 58bdf8a
 * wrote them: FDA's "Puritan Bennett 980 Ventilator System" (recalled by Covidien, e.g. Z-1208-2018,
 * per ICIJ's copy of the FDA data) and Philips's "IntelliVue MX40 Patient Worn Monitor" (as CISA's
 * ICSMA-17-255-01 names it). Recall numbers and product codes here are placeholders.
 */
describe('the maker and a kind of device do not name a model', () => {
  const pb980 = prepareRecall({
    id: 'r4',
    recallNumber: 'Z-PB980',
    productCode: 'CBK',
    kNumbers: [],
    pmaNumbers: [],
    productDescription: 'Puritan Bennett 980 Ventilator System',
    codeInfo: null,
    recallingFirm: 'Covidien',
  });
  const mx40 = prepareRecall({
    id: 'r5',
    recallNumber: 'Z-MX40',
    productCode: 'MHX',
    kNumbers: [],
    pmaNumbers: [],
    productDescription: 'Philips IntelliVue MX40 patient worn monitor',
    codeInfo: null,
    recallingFirm: 'Philips',
  });

  it.each([
    ['Covidien', 'Covidien Ventilator'],
    ['Medtronic', 'Medtronic Ventilator'],
  ])('%s %j is not named by the Puritan Bennett 980 recall', (manufacturer, model) => {
    expect(matchRecallToDevice(pb980, device({ manufacturer, model }))).toBeNull();
  });

  it('Philips "Philips Patient Monitor" is not named by the MX40 recall', () => {
    expect(
      matchRecallToDevice(mx40, device({ manufacturer: 'Philips', model: 'Philips Patient Monitor' })),
    ).toBeNull();
  });

  it('the model of the recall still is, with or without the brand in front', () => {
    for (const model of ['Puritan Bennett 980', 'Covidien 980 Ventilator', 'Ventilator 980']) {
      expect(matchRecallToDevice(pb980, device({ manufacturer: 'Covidien', model }))).toMatchObject({
        basis: 'firm-model',
      });
    }
    expect(
      matchRecallToDevice(mx40, device({ manufacturer: 'Philips', model: 'Philips IntelliVue MX40' })),
    ).toMatchObject({
      basis: 'firm-model',
      evidence: { modelNamed: 'Philips IntelliVue MX40' },
    });
  });
});
