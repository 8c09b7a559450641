/**
 * Unit tests for the name normalisation. Expected results were decided by reading the names (the real
 * ICSMA vendor and product strings are copied in below), never taken from the functions' own output.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareModelNames,
  MANUFACTURERS,
  manufacturerKey,
  manufacturerLookupKeys,
  modelIndexKeys,
  modelKey,
  namesProduct,
  nameText,
  nameWordsIn,
  productExclusions,
  resolveManufacturer,
  resolveManufacturers,
  withoutLeadingBrand,
} from './names.js';

/** Every distinct vendor string in /work/shared/data/01-csaf-icsma (product_tree vendor branches) and
 * the ICSMA_subset.csv Vendor column, with the canonical key it must resolve to. */
const REAL_VENDORS: Record<string, string> = {
  'Abbott Laboratories': 'abbott',
  AliveCor: 'alivecor',
  Animas: 'johnson-johnson',
  'Apollo Pharmacy': 'apollo-pharmacy',
  'B. Braun': 'b-braun',
  'B. Braun Medical': 'b-braun',
  'B. Braun Medical Inc.': 'b-braun',
  'B. Braun Melsungen AG': 'b-braun',
  BIOTRONIK: 'biotronik',
  'BMC Medical, 3B Medical': 'bmc-medical',
  'BPL Medical Technologies': 'bpl-medical-technologies',
  Baxter: 'baxter',
  BeaconMedaes: 'beaconmedaes',
  'Becton, Dickinson and Company (BD)': 'bd',
  'Biosense Webster': 'johnson-johnson',
  'Boston Scientific': 'boston-scientific',
  'Capsule Technologies': 'philips',
  'Capsule Technologies Inc': 'philips',
  'CareFusion, Becton, Dickinson and Company (BD)': 'bd',
  Carestream: 'carestream',
  'Change Healthcare': 'change-healthcare',
  'Contec Health': 'contec',
  'Dario Health': 'dario-health',
  Drager: 'drager',
  Dräger: 'drager',
  'ENEA, Green Hills Software, ITRON, IP Infusion, Wind River': 'enea',
  'ENEA, Green Hills Software, ITRON, IP Infusion, and Wind River': 'enea',
  Eppendorf: 'eppendorf',
  Ethicon: 'johnson-johnson',
  'FUJIFILM Healthcare Americas Corporation': 'fujifilm',
  'Flow Neuroscience': 'flow-neuroscience',
  'Fourth Frontier': 'fourth-frontier',
  'Fresenius Kabi': 'fresenius-kabi',
  Fujifilm: 'fujifilm',
  GE: 'ge-healthcare',
  'GE Healthcare': 'ge-healthcare',
  'General Electric (GE)': 'ge-healthcare',
  Grassroots: 'grassroots-dicom',
  'Hamilton Medical AG': 'hamilton-medical',
  Hillrom: 'baxter',
  'I-SENS Inc.': 'i-sens',
  'INFINITT Healthcare': 'infinitt',
  Illumina: 'illumina',
  'Innokas YhtymÃƒÂ¤ Oy': 'innokas',
  Insulet: 'insulet',
  'Johnson & Johnson': 'johnson-johnson',
  'LifePoint Informatics': 'lifepoint-informatics',
  Medixant: 'medixant',
  Medtronic: 'medtronic',
  'Medtronic ': 'medtronic',
  MicroDicom: 'microdicom',
  'Mirion Medical': 'mirion-medical',
  'NIHON KOHDEN': 'nihon-kohden',
  'Natus Medical Inc': 'natus',
  OFFIS: 'offis',
  'Open Health Imaging Foundation (OHIF)': 'ohif',
  'OpenClinic GA': 'openclinic-ga',
  Orthanc: 'orthanc',
  Ossur: 'ossur',
  'Oxford Nanopore Technologies': 'oxford-nanopore',
  'Panoramic Corporation': 'panoramic',
  Philips: 'philips',
  Pixmeo: 'pixmeo',
  Pulsetto: 'pulsetto',
  Qardio: 'qardio',
  'Qualcomm Life': 'philips',
  'Quanovate Tech Inc. (operating as Mira / Mira Care)': 'quanovate',
  Roche: 'roche',
  'SOOIL Development Co. Ltd.': 'sooil',
  'SOOIL Developments Co, Ltd.': 'sooil',
  Santesoft: 'santesoft',
  Siemens: 'siemens-healthineers',
  'Silex Technology': 'silex',
  'Silex Technology and GE Healthcare': 'silex',
  'Smiths Medical': 'icu-medical',
  Softneta: 'softneta',
  Spacelabs: 'spacelabs',
  'St. Jude Medical': 'abbott',
  Stryker: 'stryker',
  'Swisslog Healthcare': 'swisslog-healthcare',
  'Thermo Fisher': 'thermo-fisher',
  'Varex Imaging': 'varex-imaging',
  'Vertikal Systems': 'vertikal-systems',
  'Vyaire Medical': 'vyaire',
  'WHILL Inc.': 'whill',
  Ypsomed: 'ypsomed',
  ZOLL: 'zoll',
  'i-SENS Inc': 'i-sens',
  pydicom: 'pydicom',
};

describe('manufacturers.json', () => {
  it('has unique entry keys', () => {
    const keys = MANUFACTURERS.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps every alias (and acquired name) to exactly one canonical entry', () => {
    const owner = new Map<string, Set<string>>();
    for (const m of MANUFACTURERS) {
      const names = [m.name, ...m.aliases, ...m.acquired.flatMap((a) => [a.name, ...(a.aliases ?? [])])];
      for (const n of names) {
        const k = manufacturerKey(n);
        const set = owner.get(k) ?? new Set<string>();
        set.add(m.key);
        owner.set(k, set);
      }
    }
    const clashes = [...owner].filter(([, s]) => s.size > 1).map(([k, s]) => `${k}: ${[...s].join(', ')}`);
    expect(clashes).toEqual([]);
    // The load-time lookup agrees with this independent computation.
    for (const [k, s] of owner) expect(manufacturerLookupKeys().get(k)).toBe([...s][0]);
  });
});

describe('resolveManufacturer: real ICSMA vendor names', () => {
  it.each(Object.entries(REAL_VENDORS))('%j → %s', (vendor, key) => {
    const id = resolveManufacturer(vendor);
    expect(id.key).toBe(key);
    expect(id.known).toBe(true);
    expect(id.via[0]).toBe(vendor.trim());
  });
});

describe('resolveManufacturer: recalling firms of openFDA device recalls', () => {
  // recalling_firm of Z-0520-06 (cfres_id 43492), and the brand and US company a hospital records.
  it.each(['Kinetic Concepts, Inc', 'KCI', 'KCI USA, Inc.', 'KCI USA', 'Kinetic Concepts Inc.'])(
    '%j → kci',
    (name) => expect(resolveManufacturer(name).key).toBe('kci'),
  );
});

describe('nameWordsIn', () => {
  // product_description of openFDA recall Z-0520-06 (cfres_id 43492).
  const text = nameText(
    'RotoProne powered patient rotation bed, part #209500, distributed by Kinetic Concepts, Inc., San Antonio, TX.',
  );
  it.each([
    ['RotoProne Bed', true],
    ['RotoProne 209500', true],
    ['RotoProne System', true],
    ['Rotation Bed', true],
    ['RotoProne Therapy System', false],
    ['RotoProne 209501', false],
    ['Patient System', false],
    ['Bed 7', false],
    ['Antonio TX', false],
    // The firm's own words are in its recall text, whatever product it recalls.
    ['Kinetic Concepts Bed', false],
    ['Concepts Rotation Bed', true],
  ])('%j: %s', (name, found) =>
    expect(nameWordsIn(name, text, ['KCI', 'Kinetic Concepts, Inc'])).toBe(found),
  );
});

describe('namesProduct: a maker and a kind of device name no product', () => {
  it.each([
    ['Ventilator', ['Covidien'], false],
    ['Covidien Ventilator', ['Medtronic'], false],
    ['Puritan Bennett Ventilator', ['Covidien'], false],
    ['Philips Patient Monitor', ['Philips'], false],
    ['Kinetic Concepts Bed', ['KCI'], false],
    ['Acme Ventilator', ['Acme Medical'], false],
    ['980 Ventilator', ['Covidien'], true],
    ['RotoProne', ['KCI'], true],
    ['IntelliVue', ['Philips Medical Systems'], true],
    ['Puritan Bennett Ventilator', ['Philips'], true],
  ])('%j under %j: %s', (name, makers, expected) => expect(namesProduct(name, makers)).toBe(expected));
});

describe('resolveManufacturer: aliases and acquisition chains', () => {
  it('St. Jude Medical → Abbott with the acquisition in via', () => {
    expect(resolveManufacturer('St. Jude Medical')).toEqual({
      key: 'abbott',
      name: 'Abbott',
      known: true,
      via: ['St. Jude Medical', 'acquired by Abbott (2017)'],
    });
    expect(resolveManufacturer('St Jude Medical, Inc.').key).toBe('abbott');
    expect(resolveManufacturer('SJM').key).toBe('abbott');
  });

  it('Alaris → Cardinal Health → CareFusion → BD', () => {
    const id = resolveManufacturer('Alaris Medical Systems');
    expect(id.key).toBe('bd');
    expect(id.via).toEqual([
      'Alaris Medical Systems',
      'acquired by Cardinal Health (2004)',
      'spun off within CareFusion (2009)',
      'acquired by BD (2015)',
    ]);
    expect(resolveManufacturer('CareFusion').via).toEqual(['CareFusion', 'acquired by BD (2015)']);
    expect(resolveManufacturer('Becton Dickinson & Co.').key).toBe('bd');
    // Cardinal Health still exists on its own: not folded into BD.
    expect(resolveManufacturer('Cardinal Health').key).toBe('cardinal-health');
  });

  it('Hospira and Smiths Medical → ICU Medical', () => {
    expect(resolveManufacturer('Hospira').via).toEqual([
      'Hospira',
      'acquired by Pfizer (2015)',
      'acquired by ICU Medical (2017)',
    ]);
    expect(resolveManufacturer('Smiths Medical').via).toEqual([
      'Smiths Medical',
      'acquired by ICU Medical (2022)',
    ]);
  });

  it('Welch Allyn → Hillrom → Baxter', () => {
    expect(resolveManufacturer('Welch Allyn').via).toEqual([
      'Welch Allyn',
      'acquired by Hillrom (2015)',
      'acquired by Baxter (2021)',
    ]);
    expect(resolveManufacturer('Hill-Rom').key).toBe('baxter');
  });

  it.each([
    ['Phillips', 'philips'],
    ['Philips Healthcare', 'philips'],
    ['Philips Medical Systems', 'philips'],
    ['Koninklijke Philips N.V.', 'philips'],
    ['GE HealthCare', 'ge-healthcare'],
    ['GE Healthcare', 'ge-healthcare'],
    ['GE Medical Systems', 'ge-healthcare'],
    ['Datex-Ohmeda', 'ge-healthcare'],
    ['Siemens Healthineers', 'siemens-healthineers'],
    ['Siemens Healthcare GmbH', 'siemens-healthineers'],
    ['Siemens Medical', 'siemens-healthineers'],
    ['Varian Medical Systems', 'siemens-healthineers'],
    ['Covidien', 'medtronic'],
    ['  medtronic  ', 'medtronic'],
    ['Dräger', 'drager'],
    ['Draeger', 'drager'],
    ['DRAGER', 'drager'],
    ['Drägerwerk AG & Co. KGaA', 'drager'],
    ['B. Braun Melsungen AG', 'b-braun'],
    ['Mindray', 'mindray'],
    ['Nihon Kohden Corporation', 'nihon-kohden'],
    ['Spacelabs Healthcare', 'spacelabs'],
    ['ZOLL Medical Corporation', 'zoll'],
    ['Hamilton Medical', 'hamilton-medical'],
    ['BIOLASE', 'biolase'],
    ['Agfa HealthCare', 'agfa'],
    ['Elekta', 'elekta'],
  ])('%j → %s', (vendor, key) => {
    expect(resolveManufacturer(vendor).key).toBe(key);
  });

  it('Varex Imaging (spun off from Varian) stays separate from Varian/Siemens', () => {
    expect(resolveManufacturer('Varex Imaging').key).toBe('varex-imaging');
  });

  it('drops trailing descriptive words only when the rest is a known manufacturer', () => {
    const id = resolveManufacturer('Mindray Medical Systems');
    expect(id.key).toBe('mindray');
    expect(id.known).toBe(true);
    expect(id.via.some((v) => v.includes('ignoring'))).toBe(true);
    // 'Smiths Group' is not Smiths Medical.
    expect(resolveManufacturer('Smiths Group').known).toBe(false);
  });

  it('joint advisories: first named vendor, all of them via resolveManufacturers', () => {
    const id = resolveManufacturer('Silex Technology and GE Healthcare');
    expect(id.key).toBe('silex');
    expect(id.via.at(-1)).toBe('also names GE HealthCare');
    expect(resolveManufacturers('Silex Technology and GE Healthcare').map((m) => m.key)).toEqual([
      'silex',
      'ge-healthcare',
    ]);
    expect(
      resolveManufacturers('ENEA, Green Hills Software, ITRON, IP Infusion, and Wind River').map(
        (m) => m.key,
      ),
    ).toEqual(['enea', 'green-hills-software', 'itron-tron-forum', 'ip-infusion', 'wind-river']);
    // Becton, Dickinson and Company is one company even though it contains ',' and 'and'.
    expect(resolveManufacturers('Becton, Dickinson and Company').map((m) => m.key)).toEqual(['bd']);
  });

  it('unknown names are normalised but marked unknown', () => {
    expect(resolveManufacturer('Acme Medical Devices, Inc.')).toEqual({
      key: 'acme-medical-devices',
      name: 'Acme Medical Devices, Inc.',
      known: false,
      via: ['Acme Medical Devices, Inc.'],
    });
    expect(resolveManufacturer('Acme and Philips').known).toBe(false);
    expect(resolveManufacturer('').known).toBe(false);
  });
});

describe('manufacturerKey', () => {
  it.each([
    ['Medtronic ', 'medtronic'],
    ['GE HealthCare', 'ge-healthcare'],
    ['GE Healthcare', 'ge-healthcare'],
    ['B. Braun Melsungen AG', 'b-braun-melsungen'],
    ['SOOIL Developments Co, Ltd.', 'sooil-developments'],
    ['Acme S.A.', 'acme'],
    ['Acme N.V.', 'acme'],
    ['Acme plc', 'acme'],
    ['Acme GmbH', 'acme'],
    ['Acme Corporation', 'acme'],
    ['Acme LLC', 'acme'],
    ['Dräger', 'drager'],
    ['Johnson & Johnson', 'johnson-and-johnson'],
    ['The Acme Company', 'acme'],
    ['AG', 'ag'],
    ['The The Acme', 'acme'],
  ])('%j → %s', (input, key) => {
    expect(manufacturerKey(input)).toBe(key);
  });
});

describe('modelKey', () => {
  it('ignores case, punctuation, whitespace and diacritics', () => {
    expect(modelKey('Merlin@home')).toBe('merlinhome');
    expect(modelKey('merlin @ Home')).toBe('merlinhome');
    expect(modelKey('MX 400')).toBe(modelKey('MX400'));
    expect(modelKey('Infinity Explorer C700')).toBe('infinityexplorerc700');
    expect(modelKey('Dräger Kappa')).toBe('dragerkappa');
    expect(modelKey('   ')).toBe('');
  });
});

describe('compareModelNames', () => {
  it('exact and normalized are 1.0 with a reason', () => {
    expect(compareModelNames('Alaris Gateway Workstation', 'Alaris Gateway Workstation ')).toMatchObject({
      kind: 'exact',
      confidence: 1,
    });
    const m = compareModelNames('Merlin @home', 'Merlin@home');
    expect(m).toEqual({
      kind: 'normalized',
      confidence: 1,
      reason: "model 'Merlin @home' = product 'Merlin@home' (case/punctuation ignored)",
    });
    expect(compareModelNames('intellivue mx40', 'IntelliVue MX40').kind).toBe('normalized');
  });

  // Positive pairs: a CMMS-style model against a real ICSMA product name of the same manufacturer.
  it.each([
    ['Merlin @home', 'Merlin@home Transmitter', 0.8],
    ['8015 PC unit', 'Alaris PC Unit Model 8015', 0.9],
    ['Alaris 8015', 'Alaris PC Unit Model 8015', 0.9],
    ['PC Unit 8015', 'Alaris PC Unit (Model 8015)', 0.9],
    ['MX40', 'IntelliVue MX40 Patient Worn Monitor (WLAN only)', 0.9],
    ['IntelliVue MX 40', 'IntelliVue MX40 Patient Worn Monitor (WLAN only)', 0.9],
    ['Medfusion 4000', 'Medfusion 4000 Wireless Syringe Infusion Pump', 0.9],
    ['Paradigm 722', 'MiniMed Paradigm 522/722 pumps', 0.9],
    ['MiniMed 523K', 'MiniMed Paradigm 523K/723K pumps', 0.9],
    ['Pyxis MedStation 4000', 'BD Pyxis MedStation 4000', 0.9],
    ['Pyxis Medstation4000', 'BD Pyxis MedStation 4000', 0.9],
    ['Spot 4400', 'Welch Allyn Spot Vital Signs 4400 Device (Spot 4400)', 0.9],
    ['SD-320AN', 'GEH-SD-320AN', 0.9],
    ['CT750HD', 'Discovery CT750HD', 0.9],
    ['MyCareLink 24950', '24950 MyCareLink Monitor', 0.9],
    ['CareLink 2090', 'CareLink 2090 Programmer', 0.9],
    ['FM30', 'Avalon Fetal/Maternal Monitors FM20/FM30/FM40/FM50', 0.9],
    ['PageWriter TC50', 'PageWriter TC10 TC20 TC30 TC50 TC70 Cardiographs', 0.9],
    ['Xhibit Telemetry Receiver 96280', 'Xhibit Telemetry Receiver (XTR) Model number 96280', 0.9],
    ['Infinity Explorer', 'Infinity Explorer C700', 0.8],
    ['Connex Spot Monitor', 'Welch Allyn Connex Spot Monitor (CSM)', 0.8],
    ['Pyxis SupplyStation', 'BD Pyxis SupplyStation (including RF, EC, CP)', 0.8],
    ['Phoenix Hemodialysis', 'Phoenix Hemodialysis Delivery System', 0.8],
    ['Dräger Kappa XLT', 'Kappa', 0.8],
    ['IntelliVue MX450', 'IntelliVue patient monitor MX400-MX850', 0.8],
    ['IntelliVue MP50', 'IntelliVue patient monitor MP2-MP90', 0.8],
    ['Alaris PC 8015', 'Alaris PC Unit (Model 8015)', 0.9],
    ['MMT-1740', 'MiniMed MMT1740', 0.9],
    ['MX 400', 'IntelliVue Patient Monitors MX (MX400-550)', 0.9],
    // Same number but the product adds a variant designator right after it: weaker.
    ['Innova 3100', 'Innova 3100-IQ', 0.8],
    ['Windows Server 2008', 'Windows Server 2008 R2', 0.8],
    ['Pyxis MedStation 4000', 'BD Pyxis MedStation 4000 T2', 0.8],
  ])('%j ~ %j: token %f', (model, product, confidence) => {
    const m = compareModelNames(model, product);
    expect(m.kind).toBe('token');
    expect(m.confidence).toBe(confidence);
    expect(m.reason).toContain(model.trim());
  });

  it.each([
    ['Intelivue MX40', 'IntelliVue MX40 Patient Worn Monitor (WLAN only)'],
    ['Sante DICOM Viewr Pro', 'Sante DICOM Viewer Pro'],
    ['Pyxis Medstaton 4000', 'BD Pyxis MedStation 4000'],
    ['Welch Allyn Conex Spot', 'Welch Allyn Connex Spot Monitor (CSM)'],
  ])('%j ≈ %j: fuzzy, below 1', (model, product) => {
    const m = compareModelNames(model, product);
    expect(m.kind).toBe('fuzzy');
    expect(m.confidence).toBeGreaterThanOrEqual(0.5);
    expect(m.confidence).toBeLessThanOrEqual(0.75);
    expect(m.reason.length).toBeGreaterThan(0);
  });

  // Negatives: different products of the same manufacturer, generic words, different model numbers.
  it.each([
    ['Alaris 8015', 'Alaris 8100'],
    ['Alaris PC Unit 8015', 'Alaris PC Unit 8016'],
    ['LOGIQ 5', 'LOGIQ 7'],
    ['Vivid 7', 'Vivid I'],
    ['Brivo XR118', 'Brivo XR383'],
    ['Optima CT580', 'Optima CT580RT'],
    ['Optima 320', 'Optima CL320'],
    ['Alaris GH', 'Alaris GS'],
    ['Alaris Gateway Workstation Alaris GS', 'Alaris Gateway Workstation Alaris CC'],
    ['AnyDana-A', 'AnyDana-i'],
    ['Siemens SPECT Systems Windows XP-Based', 'Siemens PET/CT Systems Windows XP-Based'],
    ['Signa HDxt', 'Signa HDx'],
    ['1740', 'MiniMed MMT1740'],
    ['Innova 2100-IQ', 'Innova 3100-IQ'],
    // Decided: a device that names model 2090 is not a 'CareLink Express Monitor'; the shared family
    // word alone is not enough.
    ['CareLink 2090', 'CareLink Express Monitor'],
    ['CareLink 2090', 'CareLink 9790 Programmer'],
    ['MiniMed 722K', 'MiniMed Paradigm 522/722 pumps'],
    ['MiniMed 640G', 'MiniMed 630G'],
    ['Medfusion 3500', 'Medfusion 4000 Wireless Syringe Infusion Pump'],
    ['GE Aespire', 'GE Aisys'],
    ['Welch Allyn Connex Spot Monitor', 'Welch Allyn Vision Express'],
    ['Monitor', 'IntelliVue Monitor'],
    ['Patient Monitor', 'IntelliVue Patient Monitors MX (MX400-550)'],
    ['Infusion Pump', 'Medfusion 4000 Wireless Syringe Infusion Pump'],
    ['Software', 'Engage Software'],
    ['LOGIQ 9', 'Version'],
    ['All Devices', 'All models'],
    ['Pyxis MedStation 4000', 'BD Pyxis Anesthesia System 4000'],
    ['FCR Capsula X', 'FCR Carbon X'],
    ['Accent MRI', 'Assurity MRI'],
    ['', 'Alaris PC Unit'],
  ])('%j vs %j: none', (model, product) => {
    expect(compareModelNames(model, product)).toMatchObject({ kind: 'none', confidence: 0 });
  });

  it('honours exclusions in the product name', () => {
    expect(compareModelNames('EchoPAC', 'Vivid products, not including EchoPAC').kind).toBe('none');
    expect(compareModelNames('Vivid E95', 'Vivid products, not including EchoPAC')).toMatchObject({
      kind: 'token',
      confidence: 0.8,
    });
    expect(compareModelNames('LOGIQ 100 Pro', 'LOGIQ, not including LOGIQ 100 Pro').kind).toBe('none');
    expect(compareModelNames('LOGIQ E10', 'LOGIQ, not including LOGIQ 100 Pro').kind).toBe('token');
    expect(
      compareModelNames('Venue 50 R4-5', 'Venue, not including Venue 40 R1-3 and Venue 50 R4-5').kind,
    ).toBe('none');
    expect(compareModelNames('X200', 'All models, not including X100 and X300').kind).toBe('token');
    expect(compareModelNames('X100', 'All models, not including X100 and X300').kind).toBe('none');
  });
});

describe('productExclusions', () => {
  it.each([
    ['All models, not including X and Y', 'All models', ['X', 'Y']],
    ['all versions except 1.2, 1.3', 'all versions', ['1.2', '1.3']],
    ['Vivid products, not including EchoPAC', 'Vivid products', ['EchoPAC']],
    ['Venue, not including Venue 40 R1-3 and Venue 50 R4-5', 'Venue', ['Venue 40 R1-3', 'Venue 50 R4-5']],
    [
      'Invenia ABUS Scan station, not including VScan product line: all versions',
      'Invenia ABUS Scan station',
      ['VScan product line'],
    ],
    ['Alaris System (excluding Alaris PC Unit 8000)', 'Alaris System', ['Alaris PC Unit 8000']],
    ['Alaris PC Unit Model 8015', 'Alaris PC Unit Model 8015', []],
    ['  Kappa  ', 'Kappa', []],
  ])('%j', (input, base, excluded) => {
    expect(productExclusions(input)).toEqual({ base, excluded });
  });
});

describe('modelIndexKeys', () => {
  it('gives model numbers in glued and split forms and distinctive words', () => {
    expect(modelIndexKeys('Alaris PC Unit (Model 8015)')).toEqual([
      '8015',
      'alaris',
      'alarispcunitmodel8015',
    ]);
    const k = modelIndexKeys('MiniMed 630G MMT-1715');
    expect(k).toContain('mmt1715');
    expect(k).toContain('1715');
    expect(k).toContain('630g');
    expect(k).not.toContain('mmt');
    expect(modelIndexKeys('All models, not including X100')).toContain('*');
  });

  it('shares a key for every token match in the positive list', () => {
    const pairs: [string, string][] = [
      ['8015 PC unit', 'Alaris PC Unit (Model 8015)'],
      ['Merlin @home', 'Merlin@home Transmitter'],
      ['IntelliVue MX 40', 'IntelliVue MX40 Patient Worn Monitor (WLAN only)'],
      ['Pyxis Medstation4000', 'BD Pyxis MedStation 4000'],
    ];
    for (const [a, b] of pairs) {
      const kb = new Set(modelIndexKeys(b));
      expect(modelIndexKeys(a).some((k) => kb.has(k))).toBe(true);
    }
  });
});

/** The real ICSMA data, when present in this checkout: every vendor is in the table and every product
 * name compares sanely with every other product name of the same advisory vendor. */
/** Opt-in (VIGIL_SHARED_DATA=../shared/data): tests do not read the shared folder by default. */
const DATA = process.env['VIGIL_SHARED_DATA'] ?? '';
describe.skipIf(!DATA || !existsSync(join(DATA, '01-csaf-icsma')))('real ICSMA data', () => {
  interface Branch {
    category?: string;
    name?: string;
    branches?: Branch[];
  }
  const vendors = new Set<string>();
  const products = new Map<string, Set<string>>();
  const walkDir = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walkDir(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
    );
  const walk = (branches: Branch[] | undefined, vendor: string | undefined): void => {
    for (const b of branches ?? []) {
      let v = vendor;
      if (b.category === 'vendor' && b.name !== undefined) {
        v = b.name;
        vendors.add(b.name);
      }
      if (b.category === 'product_name' && b.name !== undefined && v !== undefined) {
        const set = products.get(v) ?? new Set<string>();
        set.add(b.name);
        products.set(v, set);
      }
      walk(b.branches, v);
    }
  };
  // Read in beforeAll: a skipped describe still runs its body to collect the tests.
  beforeAll(() => {
    for (const file of walkDir(join(DATA, '01-csaf-icsma'))) {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { product_tree?: { branches?: Branch[] } };
      walk(doc.product_tree?.branches, undefined);
    }
  });

  it('resolves every CSAF vendor name to a known manufacturer, as listed above', () => {
    expect(vendors.size).toBeGreaterThan(20);
    for (const v of vendors) {
      expect(REAL_VENDORS[v], v).toBeDefined();
      expect(resolveManufacturer(v).known, v).toBe(true);
    }
  });

  it('never calls two different real product names of one vendor exact', () => {
    let compared = 0;
    for (const names of products.values()) {
      const list = [...names];
      for (const a of list) {
        for (const b of list) {
          const m = compareModelNames(a, b);
          compared++;
          if (a === b) expect(m.kind).toBe('exact');
          else expect(m.kind).not.toBe('exact');
          expect(m.kind === 'none').toBe(m.confidence === 0);
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('withoutLeadingBrand', () => {
  // Product names as CISA wrote them (ICSMA-22-062-01, ICSMA-19-190-01, ICSMA-24-151-02, ICSMA-20-317-01,
  // ICSMA-18-128-01, ICSMA-17-215-01) and models as the CMMS export records them.
  it.each([
    [
      'BD Pyxis MedStation ES',
      'bd',
      'Becton, Dickinson and Company (BD)',
      ['Pyxis MedStation ES'],
      'Pyxis MedStation ES',
    ],
    ['GE Aisys', 'ge-healthcare', 'General Electric (GE)', ['Aisys CS2'], 'Aisys'],
    [
      'Welch Allyn Connex Spot Monitor (CSM)',
      'baxter',
      'Baxter',
      ['Connex Spot Monitor (CSM)', '71WX'],
      'Connex Spot Monitor (CSM)',
    ],
    [
      'Siemens SPECT/CT Systems Windows XP-Based',
      'siemens-healthineers',
      'Siemens',
      ['Symbia T'],
      'SPECT/CT Systems Windows XP-Based',
    ],
  ])('%j under %s reads as the model without the brand', (product, key, vendor, models, expected) => {
    expect(withoutLeadingBrand(product, key, vendor, models)?.name).toBe(expected);
  });

  it.each([
    // The device's model carries the brand itself: nothing to take away.
    ['Alaris PC Unit Model 8015', 'bd', 'Becton, Dickinson and Company (BD)', ['Alaris PC Unit', '8015']],
    // 'GE' is not the start of 'GEH'.
    ['GEH-500', 'ge-healthcare', 'Silex Technology and GE Healthcare', ['GEH 500']],
    // Nothing but the brand.
    ['Philips', 'philips', 'Philips', ['IntelliVue MX450']],
    // Another manufacturer's brand.
    ['BD Pyxis MedStation ES', 'baxter', 'Baxter', ['Pyxis MedStation ES']],
  ])('%j under %s stays as written', (product, key, vendor, models) => {
    expect(withoutLeadingBrand(product, key, vendor, models)).toBeNull();
  });
});
