/**
 * @module Synthetic CMMS exports of any size for the benchmark and the scale tests: deterministic for a
 * seed, with the default column names, real manufacturer/model names (from CISA ICS medical advisories),
 * unique asset tags, serials, MACs and IPs, and a realistic spread of classes, sites, lifecycle words and
 * multi-valued cells. `changeEvery` varies the firmware of every n-th row, to time an import that
 * updates.
 */

export interface CmmsGeneratorOptions {
  rows: number;
  seed?: number;
  /** Number of sites the devices are spread over. */
  sites?: number;
  /** Give every n-th row a different firmware version (0: never). */
  changeEvery?: number;
  /** First asset-tag number (to generate disjoint files). */
  start?: number;
}

export const CMMS_HEADER =
  'asset_tag,serial_number,udi,manufacturer,model,model_number,device_class,mac,ip,hostname,firmware_version,software_version,os,os_version,site,building,floor,room,department,owner,criticality,ephi,status';

const CATALOG: [
  manufacturer: string,
  model: string,
  modelNumber: string,
  deviceClass: string,
  criticality: string,
  os: string,
][] = [
  ['Becton, Dickinson and Company (BD)', 'Alaris PC Unit', '8015', 'infusion-pump', 'life-sustaining', ''],
  [
    'Becton, Dickinson and Company (BD)',
    'Alaris Gateway Workstation',
    '',
    'medical-workstation',
    'life-supporting',
    'Windows CE',
  ],
  ['Baxter', 'Sigma Spectrum', '35700BAX2', 'infusion-pump', 'life-sustaining', ''],
  ['Baxter', 'Spectrum IQ', '35700BAX3', 'infusion-pump', 'life-sustaining', ''],
  [
    'Smiths Medical',
    'Medfusion 4000 Wireless Syringe Infusion Pump',
    '4000',
    'infusion-pump',
    'life-sustaining',
    '',
  ],
  ['B. Braun Medical', 'SpaceStation with SpaceCom 2', '8713142U', 'infusion-pump', 'life-supporting', ''],
  ['Philips', 'IntelliVue MX40 Patient Worn Monitor', '865350', 'patient-monitor', 'life-supporting', ''],
  ['Philips', 'IntelliVue MX450', '866062', 'patient-monitor', 'life-supporting', ''],
  ['Philips', 'Brilliance iCT', '728306', 'imaging-ct', 'diagnostic', 'Windows XP'],
  ['Philips', 'IntelliSpace PACS', '', 'pacs', 'diagnostic', 'Windows Server 2016'],
  ['GE Healthcare', 'CARESCAPE B650', 'B650', 'patient-monitor', 'life-supporting', ''],
  ['GE Healthcare', 'CARESCAPE B450', 'B450', 'patient-monitor', 'life-supporting', ''],
  [
    'GE Healthcare',
    'CARESCAPE Central Station',
    'CSCS',
    'medical-workstation',
    'diagnostic',
    'Windows 10 IoT Enterprise',
  ],
  ['GE Healthcare', 'Optima MR360', '', 'imaging-mr', 'diagnostic', 'Windows 7'],
  ['GE Healthcare', 'LOGIQ 9', '', 'imaging-us', 'diagnostic', 'Windows XP Embedded'],
  ['Siemens', 'Symbia T SPECT/CT System', '', 'imaging-nm', 'diagnostic', 'Windows XP'],
  ['Medtronic', 'CareLink 2090 Programmer', '2090', 'implantable-programmer', 'therapeutic-non-critical', ''],
  ['Medtronic', '24950 MyCareLink Monitor', '24950', 'implantable-remote-monitor', 'non-clinical', ''],
  ['Welch Allyn', 'Connex Spot Monitor (CSM)', '71WX', 'patient-monitor', 'diagnostic', ''],
  ['GE Healthcare', 'Aisys CS2', '', 'ventilator', 'life-sustaining', ''],
];
const DEPARTMENTS = [
  'ICU',
  'NICU',
  'Emergency',
  'Oncology',
  'Surgery',
  'Radiology',
  'Cardiology, Cath Lab',
  'Pharmacy',
  'Primary Care',
  'Med/Surg',
];
const STATUSES = [
  'Active',
  'Active',
  'Active',
  'Active',
  'Active',
  'Active',
  'Active',
  'Spare',
  'In-Repair',
  'Retired',
  'Disposed',
  'Loaner',
];

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** A locally administered unicast MAC from a number (unique per number). */
export function syntheticMac(n: number): string {
  const hex = n.toString(16).padStart(10, '0').slice(-10);
  return `02:${hex.match(/../g)!.join(':')}`;
}

/** An address in 10.0.0.0/8 from a number (unique for n < 2^24 - 2). */
export function syntheticIp(n: number): string {
  const v = n + 1;
  return `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
}

/** The lines of a synthetic export, header first, without line breaks. */
export function* cmmsCsvLines(opts: CmmsGeneratorOptions): Generator<string> {
  const random = prng(opts.seed ?? 42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const sites = Array.from({ length: opts.sites ?? 3 }, (_, i) =>
    i === 0 ? 'St. Vigil Medical Center' : `Clinic ${i}`,
  );
  const start = opts.start ?? 1;
  yield CMMS_HEADER;
  for (let i = start; i < start + opts.rows; i++) {
    const [manufacturer, model, modelNumber, deviceClass, criticality, os] = pick(CATALOG);
    const twoNics = random() < 0.05;
    const macs = twoNics ? `${syntheticMac(i * 2)};${syntheticMac(i * 2 + 1)}` : syntheticMac(i * 2);
    const ips = random() < 0.85 ? syntheticIp(i) : '';
    const changed = opts.changeEvery && i % opts.changeEvery === 0;
    const firmware = `${1 + (i % 9)}.${i % 7}.${changed ? 99 : i % 5}`;
    const site = pick(sites);
    const cells = [
      `BME-${String(i).padStart(7, '0')}`,
      `SN${(i * 7919).toString(36).toUpperCase()}`,
      random() < 0.3 ? `(01)0088540380${String(i % 10000).padStart(4, '0')}(21)${i}` : '',
      manufacturer,
      model,
      modelNumber,
      deviceClass,
      macs,
      ips,
      random() < 0.5 ? `dev-${i}.stvigil.local` : '',
      firmware,
      '',
      os,
      os ? 'SP1' : '',
      site,
      pick(['Tower A', 'Tower B', 'Imaging', 'Clinic']),
      String(Math.floor(random() * 8)),
      `${Math.floor(random() * 8)}-${100 + Math.floor(random() * 60)}`,
      pick(DEPARTMENTS),
      'Biomed',
      criticality,
      random() < 0.5 ? 'Yes' : 'No',
      pick(STATUSES),
    ];
    yield cells.map(csvCell).join(',');
  }
}

/** A whole synthetic export as one string (LF line ends). */
export function generateCmmsCsv(opts: CmmsGeneratorOptions): string {
  return `${[...cmmsCsvLines(opts)].join('\n')}\n`;
}
