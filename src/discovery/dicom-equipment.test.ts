import { describe, expect, it } from 'vitest';
import { countEquipment, equipmentHintValue, parseEquipment } from './dicom-equipment.js';

// Equipment attributes as the data sets of shared capture 02 carry them (tshark -V of the C-STORE RQs).
const RHAPSODE = { manufacturer: 'GE MEDICAL SYSTEMS', model: 'RHAPSODE', station: 'CT01_OC0' };
const PRISMA = { manufacturer: 'SIEMENS ', model: 'Prisma_fit', serialNumber: '67060 ', station: 'MRC35131' };

describe('DICOM equipment', () => {
  it('names the equipment a data set says made it, and reads it back', () => {
    const value = equipmentHintValue(PRISMA)!;
    expect(value).toBe('manufacturer: SIEMENS; model: Prisma_fit; serial: 67060; station: MRC35131');
    expect(parseEquipment(value)).toEqual({
      manufacturer: 'SIEMENS',
      model: 'Prisma_fit',
      serialNumber: '67060',
      station: 'MRC35131',
    });
    // An SR without equipment attributes names no one.
    expect(equipmentHintValue({ manufacturer: '', model: ' ' })).toBeUndefined();
    // A value with the separator in it still reads back into the same attributes.
    expect(parseEquipment(equipmentHintValue({ manufacturer: 'A; B', model: 'M' })!)).toEqual({
      manufacturer: 'A, B',
      model: 'M',
    });
  });

  it('counts the devices that made a sender’s objects', () => {
    const count = (...e: Parameters<typeof equipmentHintValue>[0][]) =>
      countEquipment(e.map((x) => equipmentHintValue(x)!));
    expect(count(RHAPSODE)).toBe(1);
    expect(count(RHAPSODE, RHAPSODE)).toBe(1);
    // The same unit spelling its maker differently, or leaving an attribute out, is still one device.
    expect(count(RHAPSODE, { manufacturer: 'GE Medical Systems', model: 'RHAPSODE' })).toBe(1);
    expect(count({ ...PRISMA, serialNumber: undefined }, PRISMA)).toBe(1);
    // A maker's name as its releases and object types spell it (Siemens XA software writes the new name).
    expect(count(PRISMA, { ...PRISMA, manufacturer: 'Siemens Healthineers' })).toBe(1);
    expect(count(RHAPSODE, { ...RHAPSODE, manufacturer: 'GE Healthcare' })).toBe(1);
    // Two makers, two models of one maker, two units of one model: a forwarder's objects.
    expect(count(RHAPSODE, PRISMA)).toBe(2);
    expect(count(PRISMA, { ...PRISMA, model: 'Skyra' })).toBe(2);
    expect(count(PRISMA, { ...PRISMA, serialNumber: '67061', station: 'MRC35132' })).toBe(2);
    // A template's placeholder is no GE scanner's name: its object was made by something else.
    const template = { manufacturer: 'Manufacturer name here', model: 'Treatment Planning System name here' };
    expect(count(RHAPSODE, template)).toBe(2);
  });
});
