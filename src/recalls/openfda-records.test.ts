import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listsCode, parseCodeInfo } from './code-info.js';
import { cyberTerms } from './cyber.js';
import { GudidDeviceSchema, toGudidDevice } from './gudid.js';
import { OpenFdaEnforcementSchema, toEnforcementRecord } from './openfda-enforcement.js';
import { OpenFdaRecallSchema, toRecallRecord } from './openfda-recall.js';
import { ProductClassificationSchema, toProductClassification } from './product-classification.js';
import { kindOfFileName, kindOfRecord } from './recall-import.js';

const results = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../test/fixtures/recalls/${name}`, import.meta.url), 'utf8')) as {
      results: unknown[];
    }
  ).results;

describe('openFDA records (real samples)', () => {
  it('recalls: natural key, 510(k)s, dates, code info', () => {
    const rs = results('device-recall-sample.json').map((r) => toRecallRecord(OpenFdaRecallSchema.parse(r)));
    expect(rs.map((r) => r.naturalKey)).toEqual([
      'recall:30639:Z-0418-05',
      'recall:27452:Z-0557-04',
      'recall:34296:Z-0520-06',
      'recall:29982:Z-0439-05',
      'recall:88888:Z-0284-2022',
    ]);
    expect(rs[1]).toMatchObject({
      kNumbers: ['K001563'],
      productCode: 'FGO',
      recallingFirm: 'Scion Cardio-Vascular, Inc.',
    });
    expect(rs[4]).toMatchObject({ posted: '2021-11-24', terminated: '2024-01-16', recallingFirm: null });
    expect(rs[2]!.reason).toContain('software issues');
    expect(kindOfRecord(results('device-recall-sample.json')[0])).toBe('recall');
  });

  it('enforcement: recall number, class, YYYYMMDD dates', () => {
    const es = results('device-enforcement-sample.json').map((r) =>
      toEnforcementRecord(OpenFdaEnforcementSchema.parse(r)),
    );
    expect(es[0]).toMatchObject({
      naturalKey: 'enforcement:Z-2031-2014',
      classification: 'Class II',
      eventNumber: '68200',
      status: 'Terminated',
      recallingFirm: 'Hospira Inc.',
    });
    expect(es[1]!.productQuantity).toBe('173,375');
    expect(kindOfRecord(results('device-enforcement-sample.json')[1])).toBe('enforcement');
  });

  it('classification and GUDID', () => {
    const cs = results('device-classification-sample.json').map((r) =>
      toProductClassification(ProductClassificationSchema.parse(r)),
    );
    expect(cs[0]).toMatchObject({
      productCode: 'NPG',
      deviceName: 'Catheter, Infusion, Syringe',
      deviceClass: '2',
      regulationNumber: '870.1210',
      implant: false,
    });
    expect(kindOfRecord(results('device-classification-sample.json')[1])).toBe('classification');
    const g = toGudidDevice(GudidDeviceSchema.parse(results('device-udi-sample.json')[0]));
    expect(g).toMatchObject({
      recordKey: '33e1d2ec-8555-43d0-8421-b208e7185d06',
      primaryDi: '00844588018923',
      issuingAgency: 'GS1',
      modelNumber: '1107-0-3258',
      productCodes: ['OQG', 'MAX'],
      submissions: ['K094035', 'P950002'],
    });
    expect(g.identifiers.map((i) => i.type)).toEqual(['Primary', 'Package']);
    expect(kindOfFileName('device-udi-0001-of-0032.json.zip')).toBe('udi');
    expect(kindOfFileName('device-enforcement-0001-of-0001.json')).toBe('enforcement');
  });

  it('names the field of a bad record', () => {
    const r = OpenFdaRecallSchema.safeParse({ res_event_number: '1' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['product_res_number']);
    expect(r.error!.issues[0]!.message).toBe('product_res_number is missing');
    const wrongType = OpenFdaRecallSchema.safeParse({ res_event_number: '1', product_res_number: {} });
    expect(wrongType.error!.issues[0]!.message).toBe('product_res_number must be text');
    expect(
      GudidDeviceSchema.safeParse({
        public_device_record_key: 'k',
        identifiers: [{ id: '1', type: 'Package' }],
      }).success,
    ).toBe(false);
  });
});

describe('code_info', () => {
  it('reads the lists real recalls print', () => {
    const [weck, scipro, kci, plum, somatom] = results('device-recall-sample.json') as Record<
      string,
      string
    >[];
    expect(parseCodeInfo(weck!['code_info'])).toMatchObject({
      lots: ['978933', '978934'],
      models: ['809600'],
    });
    expect(parseCodeInfo(scipro!['code_info']).lots).toEqual(['OML30522-01']);
    const k = parseCodeInfo(kci!['code_info']);
    expect(k.serialRanges).toEqual([{ from: 'RRFK00036', to: 'RRFK00128' }]);
    expect(listsCode(k.serials, k.serialRanges, 'RRFK00100')).toBe(true);
    expect(listsCode(k.serials, k.serialRanges, 'RRFK00129')).toBe(false);
    const p = parseCodeInfo(plum!['code_info']);
    expect(p.allUnits).toBe(true);
    expect(p.models).toEqual(['12618-04', '12348-04']);
    expect(parseCodeInfo(somatom!['product_description']).models).toEqual(['8098027']);
    // One serial per line, as the SOMATOM recall (Z-0284-2022) prints them.
    expect(parseCodeInfo('Serial Numbers:\nSerial Number \n96278\n96887\n66027').serials).toEqual([
      '96278',
      '96887',
      '66027',
    ]);
    expect(
      parseCodeInfo('Ximatron Digital Imaging v7.5.51.6 SP2, serial numbers: H720441, H720637').serials,
    ).toEqual(['H720441', 'H720637']);
  });
});

describe('cyber flag', () => {
  it("flags FDA's wording of the MiniMed remote controller recall and not an ordinary software fix", () => {
    // FDA, "Medtronic Recalls Remote Controllers Used with Paradigm and 508 MiniMed Insulin Pumps for
    // Potential Cybersecurity Risks" (Class I, initiated 2018-08-07, updated 2021-10-05), Reason for Recall,
    // as archived at https://public4.pagefreezer.com/content/FDA/16-06-2022T13:39/https://www.fda.gov/medical-devices/medical-device-recalls/medtronic-recalls-remote-controllers-used-paradigm-and-508-minimed-insulin-pumps-potential
    expect(
      cyberTerms(
        'Medtronic is recalling all remote controllers used with either the MiniMed 508 insulin pump or the MiniMed Paradigm family of insulin pumps due to potential cybersecurity risks. An unauthorized person (someone other than a patient, patient caregiver, or health care provider) could potentially record and replay the wireless communication between the remote and the MiniMed insulin pump.',
      ),
    ).toContain('cybersecurity');
    const [, , kci] = results('device-recall-sample.json') as Record<string, string>[];
    expect(cyberTerms(kci!['reason_for_recall'], kci!['root_cause_description'])).toEqual([]);
    expect(cyberTerms('An unauthorized user could exploit CVE-2017-12725 to gain access')).toEqual([
      'unauthorized access',
      'exploit',
      'CVE',
    ]);
  });
});

describe('properties', () => {
  it('record schemas accept or refuse any JSON without throwing; every sample field survives extra fields', () => {
    const sample = results('device-recall-sample.json')[0] as Record<string, unknown>;
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (v, extra) => {
        for (const schema of [
          OpenFdaRecallSchema,
          OpenFdaEnforcementSchema,
          ProductClassificationSchema,
          GudidDeviceSchema,
        ])
          expect(() => schema.safeParse(v)).not.toThrow();
        const withExtra = { ...extra, ...sample };
        expect(toRecallRecord(OpenFdaRecallSchema.parse(withExtra)).naturalKey).toBe(
          'recall:30639:Z-0418-05',
        );
      }),
    );
  });

  it('code_info: never throws; a serial inside a listed range is found, one past its end is not', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => {
        expect(() => parseCodeInfo(t)).not.toThrow();
      }),
    );
    fc.assert(
      fc.property(
        // Prefixes that are also label words must still read as part of the serial.
        fc.oneof(
          fc.constantFrom('LOT', 'REF', 'LIST', 'PART', 'UDI', 'SN'),
          fc.stringMatching(/^[A-Z]{2,4}$/),
        ),
        fc.integer({ min: 1, max: 90_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (prefix, from, span, k) => {
          const w = 6;
          const fmt = (n: number) => `${prefix}${String(n).padStart(w, '0')}`;
          const c = parseCodeInfo(`Serial Numbers: ${fmt(from)} - ${fmt(from + span)}.`);
          expect(c.serialRanges).toEqual([{ from: fmt(from), to: fmt(from + span) }]);
          expect(listsCode(c.serials, c.serialRanges, fmt(from + Math.min(k, span)))).toBe(true);
          expect(listsCode(c.serials, c.serialRanges, fmt(from + span + 1))).toBe(false);
        },
      ),
    );
  });
});
