import { describe, expect, it } from 'vitest';
import {
  CRITICALITIES,
  DEVICE_CLASSES,
  type DeviceFact,
  findConflicts,
  parseCriticality,
  parseDeviceClass,
  parseEphi,
  stateForLifecycleStatus,
} from './device.js';

describe('device vocabulary', () => {
  it('accepts every canonical class and criticality in any case and spacing', () => {
    for (const c of DEVICE_CLASSES) {
      expect(parseDeviceClass(c)).toEqual({ ok: true, value: c });
      expect(parseDeviceClass(` ${c.toUpperCase().replaceAll('-', ' ')} `)).toEqual({ ok: true, value: c });
    }
    for (const c of CRITICALITIES)
      expect(parseCriticality(c.replaceAll('-', '_'))).toEqual({ ok: true, value: c });
  });

  it('accepts unambiguous synonyms', () => {
    const cases: [string, string][] = [
      ['Infusion Pump, Large Volume', 'infusion-pump'],
      ['Syringe Pump', 'infusion-pump'],
      ['LVP', 'infusion-pump'],
      ['X-Ray', 'imaging-xr'],
      ['MRI', 'imaging-mr'],
      ['CT Scanner', 'imaging-ct'],
      ['Ultrasound', 'imaging-us'],
      ['Patient Monitor - Telemetry', 'patient-monitor'],
      ['Nurse Call', 'nurse-call'],
      ['Pacemaker Programmer', 'implantable-programmer'],
      ['Blood Gas Analyzer', 'lab-analyzer'],
    ];
    for (const [input, expected] of cases)
      expect(parseDeviceClass(input), input).toEqual({ ok: true, value: expected });
    expect(parseCriticality('Therapeutic (non-critical)')).toEqual({
      ok: true,
      value: 'therapeutic-non-critical',
    });
    expect(parseCriticality('Non Clinical')).toEqual({ ok: true, value: 'non-clinical' });
  });

  it('refuses ambiguous and unknown words with a useful reason', () => {
    expect(parseDeviceClass('PET/CT')).toEqual({
      ok: false,
      reason: expect.stringMatching(/ambiguous.*imaging-ct.*imaging-nm|ambiguous.*imaging-nm.*imaging-ct/),
    });
    expect(parseDeviceClass('Monitor')).toEqual({
      ok: false,
      reason: expect.stringMatching(/did you mean patient-monitor or implantable-remote-monitor/),
    });
    expect(parseDeviceClass('Toaster')).toEqual({
      ok: false,
      reason: expect.stringMatching(/unknown device class "Toaster"; use one of infusion-pump/),
    });
    expect(parseCriticality('High')).toMatchObject({ ok: false });
    expect(parseCriticality('life support')).toMatchObject({ ok: false });
  });

  it('reads ePHI flags', () => {
    for (const v of ['yes', 'Y', 'TRUE', '1']) expect(parseEphi(v)).toEqual({ ok: true, value: true });
    for (const v of ['no', 'n', 'False', '0']) expect(parseEphi(v)).toEqual({ ok: true, value: false });
    expect(parseEphi(' ')).toEqual({ ok: true, value: null });
    expect(parseEphi('maybe')).toMatchObject({ ok: false });
  });

  it('maps CMMS lifecycle words to record states', () => {
    for (const w of ['retired', 'Disposed', 'DECOMMISSIONED', ' scrapped '])
      expect(stateForLifecycleStatus(w)).toBe('retired');
    for (const w of ['active', 'spare', 'in-repair', 'Loaner', '', null])
      expect(stateForLifecycleStatus(w)).toBe('active');
  });
});

describe('findConflicts', () => {
  const fact = (field: string, source: string, value: string | null): DeviceFact => ({
    field,
    source,
    value,
    sourceRef: `${source}-ref`,
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-02T00:00:00.000Z',
    confidence: null,
  });

  it('shows declared versus observed disagreements, nothing else', () => {
    const conflicts = findConflicts([
      fact('firmwareVersion', 'cmms', '2.1'),
      fact('firmwareVersion', 'capture', '2.3'),
      fact('os', 'cmms', 'Windows 10'),
      fact('os', 'scanner', 'windows 10'),
      fact('department', 'cmms', 'ICU'),
      fact('department', 'manual', 'NICU'),
      fact('hostname', 'capture', 'x'),
    ]);
    expect(conflicts).toEqual([
      {
        field: 'firmwareVersion',
        declared: [
          { source: 'cmms', value: '2.1', sourceRef: 'cmms-ref', lastSeen: '2026-01-02T00:00:00.000Z' },
        ],
        observed: [
          { source: 'capture', value: '2.3', sourceRef: 'capture-ref', lastSeen: '2026-01-02T00:00:00.000Z' },
        ],
      },
    ]);
  });
});
