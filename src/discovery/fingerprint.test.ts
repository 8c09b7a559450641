import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES } from '../inventory/device.js';
import { factsOf, fingerprintHost, TEMPLATE_TRANSFORMS } from './fingerprint.js';
import { HINT_KINDS } from './fingerprint-hints.js';
import type { Attributed, Evidence, HostObservation, IdentityField } from './host-observation.js';

// ---------------------------------------------------------------------------------------------------
// Factories: hosts as the capture analyzer reports them for the shared capture LAN (captures README).

const ev = (summary: string, packet = 1): Evidence => ({
  source: 'capture',
  file: '01-dhcp-dns-mdns.pcap',
  packet,
  time: '2026-11-28T23:50:00.000Z',
  summary,
});

function host(over: Partial<HostObservation> & { hint?: [string, string][] } = {}): HostObservation {
  const { hint = [], ...rest } = over;
  return {
    macs: [],
    ips: [],
    hostnames: [],
    firstSeen: '2026-11-28T23:50:00.000Z',
    lastSeen: '2026-11-28T23:59:00.000Z',
    services: [],
    protocols: [],
    identity: {},
    hints: hint.map(([kind, value], i) => ({ kind, value, evidence: ev(`${kind} seen`, i + 1) })),
    ...rest,
  };
}

const dicom = (over: Partial<NonNullable<HostObservation['dicom']>>): HostObservation['dicom'] => ({
  aeTitles: [],
  implementationClassUid: null,
  implementationVersionName: null,
  sopClasses: [],
  roles: [],
  ...over,
});

const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const MR_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const ECG_12LEAD = '1.2.840.10008.5.1.4.1.1.9.1.1';
const RT_PLAN = '1.2.840.10008.5.1.4.1.1.481.5';
const SR_BASIC = '1.2.840.10008.5.1.4.1.1.88.11';
const VERIFICATION = '1.2.840.10008.1.1';

const id = (h: HostObservation) =>
  Object.fromEntries(Object.entries(h.identity).map(([k, v]) => [k, [v.value, v.confidence]]));
const hintValues = (h: HostObservation, kind: string) =>
  h.hints.filter((x) => x.kind === kind).map((x) => x.value);

describe('fingerprintHost on the shared capture LAN', () => {
  it('CT: dhclient with a vendor class naming GE, GE Healthcare OUI, CT storage via dcmtk', () => {
    const ct = fingerprintHost(
      host({
        macs: ['44:4b:5d:c7:21:01'],
        hostnames: ['ct-rhapsode-01'],
        protocols: ['dhcp', 'dicom'],
        hint: [
          ['dhcp.hostname', 'CT-RHAPSODE-01'],
          ['dhcp.vendorClass', 'GE Healthcare CT Console'],
          ['dhcp.paramList', '1,28,3,15,6,12,42'],
        ],
        dicom: dicom({
          aeTitles: ['CT_RHAPSODE01'],
          implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
          implementationVersionName: 'OFFIS_DCMTK_367',
          sopClasses: [VERIFICATION, CT_STORAGE],
          roles: ['modality'],
        }),
      }),
    );
    expect(id(ct)).toEqual({ manufacturer: ['GE Healthcare', 0.45], deviceClass: ['imaging-ct', 0.6] });
    expect(hintValues(ct, 'software')).toEqual(['dcmtk 3.6.7']);
    expect(hintValues(ct, 'oui.vendor')).toEqual(['GE Healthcare']);
    // The OUI rule said the same maker with less confidence, and "other-medical": that one lost.
    expect(hintValues(ct, 'candidate.deviceClass')).toEqual(['other-medical']);
    expect(ct.identity.deviceClass?.evidence.summary).toBe(
      'dicom.storageModalities "CT" → deviceClass "imaging-ct" (rule dicom-modality-ct)',
    );
  });

  it('ECG cart: BusyBox udhcpc, Mortara OUI, 12-lead ECG waveform storage', () => {
    const ecg = fingerprintHost(
      host({
        macs: ['00:0f:82:ec:60:23'],
        hint: [
          ['dhcp.hostname', 'ECG-ELI250-3'],
          ['dhcp.vendorClass', 'udhcp 1.35.0'],
        ],
        dicom: dicom({
          implementationVersionName: 'OFFIS_DCMTK_367',
          sopClasses: [ECG_12LEAD],
          roles: ['modality'],
        }),
      }),
    );
    expect(id(ecg)).toEqual({
      manufacturer: ['Mortara Instrument', 0.35],
      deviceClass: ['other-medical', 0.55],
      os: ['Linux', 0.6],
    });
    expect(hintValues(ecg, 'software')).toEqual(['dcmtk 3.6.7', 'BusyBox udhcpc 1.35.0']);
    // The OS evidence points at the DHCP packet that carried the vendor class.
    expect(ecg.identity.os?.evidence).toMatchObject({ file: '01-dhcp-dns-mdns.pcap', packet: 2 });
  });

  it('PACS: storage SCP role wins over the SOP classes it accepted', () => {
    const pacs = fingerprintHost(
      host({
        macs: ['02:00:5e:20:00:10'],
        services: [
          {
            port: 104,
            transport: 'tcp',
            protocol: 'dicom',
            product: null,
            version: null,
            encrypted: false,
            evidence: ev('10.20.0.21:40000 → 10.20.0.10:104/tcp A-ASSOCIATE-AC'),
          },
        ],
        dicom: dicom({
          aeTitles: ['PACS_MAIN'],
          implementationVersionName: 'OFFIS_DCMTK_367',
          sopClasses: [CT_STORAGE, MR_STORAGE, ECG_12LEAD],
          roles: ['pacs'],
        }),
      }),
    );
    expect(id(pacs)).toEqual({ deviceClass: ['pacs', 0.7] });
    // A locally administered MAC has no registry vendor.
    expect(hintValues(pacs, 'oui.vendor')).toEqual([]);
  });

  it('a workstation that sends RT plans, SR and CT is not a CT scanner', () => {
    const ws = fingerprintHost(
      host({
        hint: [['http.userAgent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SGH-Workstation']],
        dicom: dicom({
          aeTitles: ['RT_PLANNING'],
          sopClasses: [RT_PLAN, SR_BASIC, CT_STORAGE],
          roles: ['modality'],
        }),
      }),
    );
    expect(id(ws)).toEqual({
      deviceClass: ['medical-workstation', 0.45],
      os: ['Windows', 0.6],
      osVersion: ['10/11', 0.6],
    });
  });

  it('infusion pump: Baxter OUI, DNS-SD TXT model and firmware', () => {
    const pump = fingerprintHost(
      host({
        macs: ['58:42:e4:10:00:60'],
        hint: [
          ['mdns.service', '_http._tcp'],
          ['mdns.instance', 'Infusion Pump E-214'],
          ['mdns.txt', 'model=SIGMA-SPECTRUM'],
          ['mdns.txt', 'fw=8.01.01'],
        ],
      }),
    );
    expect(id(pump)).toEqual({
      manufacturer: ['Baxter', 0.35],
      model: ['SIGMA-SPECTRUM', 0.5],
      deviceClass: ['other-medical', 0.35],
      firmwareVersion: ['8.01.01', 0.4],
    });
  });

  it('monitor gateway and lab LIS: the registry entry names the business line', () => {
    const monitor = fingerprintHost(
      host({
        macs: ['00:09:5c:41:00:41'],
        hl7: {
          sendingApplications: ['MONITOR_GW'],
          sendingFacilities: ['ICU'],
          receivingApplications: [],
          receivingFacilities: [],
          messageTypes: ['ORU^R01'],
          versions: ['2.5'],
        },
      }),
    );
    expect(id(monitor)).toEqual({ manufacturer: ['Philips', 0.4], deviceClass: ['patient-monitor', 0.4] });
    const lab = fingerprintHost(host({ macs: ['00:18:65:43:00:43'] }));
    expect(id(lab)).toEqual({
      manufacturer: ['Siemens Healthineers', 0.4],
      deviceClass: ['lab-analyzer', 0.4],
    });
  });
});

describe('DICOM toolkits from the implementation version name and class UID', () => {
  it.each([
    [{ implementationVersionName: 'OFFIS_DCMTK_367' }, 'dcmtk 3.6.7'],
    [
      { implementationVersionName: 'OFFIS_DCMTK_370', implementationClassUid: '1.2.276.0.7230010.3.0.3.7.0' },
      'dcmtk 3.7.0',
    ],
    [{ implementationClassUid: '1.2.276.0.7230010.3.0.3.6.9' }, 'dcmtk 3.6.9'],
    [
      { implementationVersionName: 'dcm4che-5.31.0', implementationClassUid: '1.2.40.0.13.1.3' },
      'dcm4che 5.31.0',
    ],
    [
      { implementationVersionName: 'fo-dicom 5.1.2', implementationClassUid: '1.3.6.1.4.1.30071.8' },
      'fo-dicom 5.1.2',
    ],
    [{ implementationVersionName: 'PYNETDICOM_202' }, 'pynetdicom 2.0.2'],
    [{ implementationClassUid: '1.2.826.0.1.3680043.9.3811.2.0.2' }, 'pynetdicom 2.0.2'],
    [{ implementationVersionName: 'MergeCOM3_410' }, 'Merge DICOM Toolkit 410'],
  ])('%o → %s', (over, software) => {
    expect(hintValues(fingerprintHost(host({ dicom: dicom(over) })), 'software')[0]).toBe(software);
  });
});

describe('OS and product rules on real strings from Zeek logs (WRCCDC 2018 software.log / ssh.log)', () => {
  const rows = readFileSync(
    new URL('../../test/fixtures/fingerprint/wrccdc2018-software.tsv', import.meta.url),
    'utf8',
  )
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t') as [string, string]);
  const banners = readFileSync(
    new URL('../../test/fixtures/fingerprint/wrccdc2018-ssh-banners.txt', import.meta.url),
    'utf8',
  )
    .trim()
    .split('\n');
  const kindOf = (type: string) =>
    type === 'HTTP::SERVER' ? 'http.server' : type === 'HTTP::BROWSER' ? 'http.userAgent' : 'ssh.banner';
  const osOf = (kind: string, value: string) => fingerprintHost(host({ hint: [[kind, value]] })).identity;

  it.each([
    ['http.server', 'Microsoft-IIS/7.5', 'Windows', '7/Server 2008 R2'],
    ['http.server', 'Microsoft-IIS/6.0', 'Windows', 'Server 2003'],
    ['http.server', 'Apache/2.4.10 (Debian)', 'Linux', 'Debian'],
    ['http.server', 'Apache/2.4.2 (Win32) OpenSSL/1.0.1c PHP/5.4.4', 'Windows', undefined],
    ['http.server', 'Microsoft-HTTPAPI/2.0', 'Windows', undefined],
    [
      'http.userAgent',
      'Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:59.0) Gecko/20100101 Firefox/59.0',
      'Windows',
      '7',
    ],
    ['http.userAgent', 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)', 'Windows', 'XP'],
    [
      'http.userAgent',
      'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:52.0) Gecko/20100101 Firefox/52.0',
      'Linux',
      undefined,
    ],
    [
      'http.userAgent',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.181 Safari/537.36',
      'macOS',
      '10.13',
    ],
    ['http.userAgent', 'Microsoft-CryptoAPI/6.1', 'Windows', undefined],
    ['http.userAgent', 'Debian APT-HTTP/1.3 (1.0.9.8.4)', 'Linux', 'Debian'],
    ['ssh.banner', 'SSH-2.0-OpenSSH_6.7p1 Debian-5+deb8u4', 'Linux', 'Debian 8'],
    ['ssh.banner', 'SSH-2.0-OpenSSH_4.3p2 Debian-9etch3', 'Linux', 'Debian 4'],
    ['ssh.banner', 'SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u3', 'Linux', 'Debian 9'],
    ['ssh.banner', 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10', 'Linux', 'Debian 12'],
  ])('%s "%s" → %s %s', (kind, value, os, osVersion) => {
    const identity = osOf(kind, value);
    expect(identity.os?.value).toBe(os);
    expect(identity.osVersion?.value).toBe(osVersion);
  });

  it('every Windows-token string in the log is recognised as Windows, and nothing else is', () => {
    let windows = 0;
    for (const [type, value] of rows) {
      const identity = osOf(kindOf(type), value);
      const claimsWindows =
        /Windows NT|Win32|Win64|Microsoft-(IIS|HTTPAPI|CryptoAPI|Windows)|Windows-Update|Microsoft NCSI|Microsoft BITS/.test(
          value,
        );
      if (claimsWindows) {
        windows++;
        expect(identity.os?.value, value).toBe('Windows');
      } else expect(identity.os?.value, value).not.toBe('Windows');
    }
    expect(windows).toBeGreaterThan(20);
  });

  it('scanner banners (Nmap NSE) claim no OS', () => {
    for (const b of banners.filter((x) => /Nmap/i.test(x)))
      expect(osOf('ssh.banner', b).os, b).toBeUndefined();
    expect(banners.length).toBeGreaterThan(5);
  });
});

describe('embedded stacks and protocol evidence', () => {
  it.each([
    ['ftp.banner', '220 VxWorks (VxWorks5.4.2) FTP server ready', { os: 'VxWorks', osVersion: '5.4.2' }],
    ['ftp.banner', '220 Wind River FTP server 6.5 ready.', { os: 'VxWorks' }],
    ['telnet.banner', 'VxWorks login:', { os: 'VxWorks' }],
    ['http.server', 'NetX HTTP 5.3', { os: 'ThreadX' }],
    ['dhcp.vendorClass', 'MSFT 5.0', { os: 'Windows' }],
    ['dhcp.vendorClass', 'android-dhcp-13', { os: 'Android', osVersion: '13' }],
    [
      'dhcp.vendorClass',
      'dhcpcd-9.4.1:Linux-6.1.21-v8+:aarch64:Raspberry Pi 4 Model B Rev 1.4',
      { os: 'Linux', osVersion: '6.1.21-v8+' },
    ],
    ['dhcp.paramList', '1,15,3,6,44,46,47,31,33,121,249,43', { os: 'Windows' }],
    ['dhcp.paramList', '1,121,3,6,15,119,252,95,44,46', { manufacturer: 'Apple' }],
    [
      'http.userAgent',
      'Dalvik/2.1.0 (Linux; U; Android 11; Pixel 5 Build/RQ3A.210805.001.A1)',
      { os: 'Android', model: 'Pixel 5' },
    ],
    [
      'snmp.sysDescr',
      'Hardware: Intel64 Family 6 Model 85 - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)',
      { os: 'Windows', osVersion: '6.3' },
    ],
    [
      'smb.os',
      'Windows Server 2008 R2 Standard 7601 Service Pack 1',
      { os: 'Windows', osVersion: '2008 R2' },
    ],
    ['cpe', 'cpe:/o:windriver:vxworks', { os: 'VxWorks' }],
    ['cpe', 'cpe:/o:microsoft:windows_7', { os: 'Windows', osVersion: '7' }],
    ['tls.certSubject', 'CN=pump-17.example,O=Baxter Healthcare Corporation', { manufacturer: 'Baxter' }],
  ] as const)('%s "%s"', (kind, value, expected) => {
    const identity = fingerprintHost(host({ hint: [[kind, value]] })).identity;
    for (const [field, v] of Object.entries(expected))
      expect(identity[field as IdentityField]?.value, field).toBe(v);
  });

  it('a placeholder in a DICOM data set names no manufacturer or model (sample data, templates)', () => {
    // The values of the RT plan in the shared capture 02 (dcmtk's sample data set), and the usual blanks.
    for (const [manufacturer, model] of [
      ['Manufacturer name here', 'Treatment Planning System name here'],
      ['UNKNOWN', 'N/A'],
      ['-', '???'],
    ]) {
      const identity = fingerprintHost(
        host({
          hint: [
            ['dicom.manufacturer', manufacturer!],
            ['dicom.model', model!],
          ],
        }),
      ).identity;
      expect(identity.manufacturer, manufacturer).toBeUndefined();
      expect(identity.model, model).toBeUndefined();
    }
    // A real one still does, including one that merely contains a placeholder word.
    const identity = fingerprintHost(
      host({
        hint: [
          ['dicom.manufacturer', 'GE MEDICAL SYSTEMS'],
          ['dicom.model', 'Unknown Series 5'],
        ],
      }),
    ).identity;
    expect(identity.manufacturer?.value).toBe('GE Medical Systems');
    expect(identity.model?.value).toBe('Unknown Series 5');
  });

  it("a DICOM data set's Software Versions of only zeros or a placeholder is no version (sample data)", () => {
    const version = (v: string) =>
      fingerprintHost(host({ hint: [['dicom.softwareVersion', v]] })).identity.softwareVersion?.value;
    for (const v of ['0.0.0', '0', '00.00', '0_0', 'UNKNOWN', 'n/a', '-'])
      expect(version(v), v).toBeUndefined();
    // Real versions, zeros included, still are.
    for (const v of ['05', '0.0.1', '1.0.0', 'VA20A', '0.10']) expect(version(v), v).toBe(v);
  });

  it('an nmap CPE names the OS version in CPE form, decoded', () => {
    expect(TEMPLATE_TRANSFORMS.cpe!('windows_server_2008%2fr2')).toBe('windows server 2008/r2');
    expect(TEMPLATE_TRANSFORMS.org!('SPACELABS MEDICAL')).toBe('Spacelabs Medical');
    expect(TEMPLATE_TRANSFORMS.org!('Baxter International Inc')).toBe('Baxter International');
    expect(TEMPLATE_TRANSFORMS.org!('Mortara Instrument, Inc.')).toBe('Mortara Instrument');
    expect(TEMPLATE_TRANSFORMS.org!('GE Healthcare')).toBe('GE Healthcare');
  });

  it('a NIC maker prefix does not name the device maker; any other registry owner does, weakly', () => {
    expect(fingerprintHost(host({ macs: ['00:1f:3c:87:66:50'] })).identity.manufacturer).toBeUndefined();
    expect(fingerprintHost(host({ macs: ['6c:2e:85:19:af:00'] })).identity.manufacturer).toMatchObject({
      value: 'Sagemcom Broadband',
      confidence: 0.2,
    });
  });

  it('derives facts from services, DICOM and HL7 use', () => {
    const facts = factsOf(
      host({
        services: [
          {
            port: 22,
            transport: 'tcp',
            protocol: 'ssh',
            product: 'OpenSSH',
            version: '9.2p1',
            encrypted: true,
            evidence: ev('ssh'),
          },
        ],
        dicom: dicom({ sopClasses: [MR_STORAGE, CT_STORAGE, VERIFICATION], roles: ['modality'] }),
      }),
    ).map((f) => `${f.kind}=${f.value}`);
    expect(facts).toEqual(
      expect.arrayContaining([
        'service=tcp/22/ssh',
        'service.product=OpenSSH 9.2p1',
        'dicom.storageModalities=CT,MR',
        'dicom.role=modality',
      ]),
    );
  });
});

describe('conflicts and invariants', () => {
  it('keeps a more confident existing value and records the loser as a candidate', () => {
    const nmapLinux: Attributed = {
      value: 'Linux',
      confidence: 0.97,
      evidence: {
        source: 'scanner',
        file: 'scan.xml',
        summary: 'nmap -O: OS match "Linux 5.0 - 5.2" at 97% accuracy',
      },
    };
    const h = fingerprintHost(
      host({ identity: { os: nmapLinux }, hint: [['smb.os', 'Windows 7 Professional 7601 Service Pack 1']] }),
    );
    expect(h.identity.os).toEqual(nmapLinux);
    expect(h.hints.find((x) => x.kind === 'candidate.os')).toMatchObject({
      value: 'Windows',
      evidence: { summary: expect.stringMatching(/^confidence 0\.80: smb\.os/) },
    });
  });

  it('replaces a less confident value and keeps the old one as a candidate', () => {
    const weak: Attributed = { value: 'Acme', confidence: 0.1, evidence: ev('guess') };
    const h = fingerprintHost(host({ identity: { manufacturer: weak }, macs: ['00:a0:aa:5b:00:40'] }));
    expect(h.identity.manufacturer?.value).toBe('Spacelabs Healthcare');
    expect(hintValues(h, 'candidate.manufacturer')).toEqual(['Acme']);
  });

  // Real hint values from the fixtures, mixed at random into hosts with random existing identities.
  const HINT_POOL: [string, string][] = [
    ['dhcp.vendorClass', 'MSFT 5.0'],
    ['dhcp.vendorClass', 'udhcp 1.35.0'],
    ['dhcp.vendorClass', 'GE Healthcare CT Console'],
    ['dhcp.paramList', '1,15,3,6,44,46,47,31,33,121,249,43'],
    ['http.userAgent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SGH-Workstation'],
    ['http.userAgent', 'curl/7.88.1'],
    ['http.server', 'SimpleHTTP/0.6 Python/3.11.2'],
    ['http.server', 'Microsoft-IIS/7.5'],
    ['ssh.banner', 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10'],
    ['ssh.banner', 'SSH-2.0-PuTTY_Release_0.78'],
    ['ftp.banner', '220 (vsFTPd 3.0.3)'],
    ['mdns.txt', 'model=SIGMA-SPECTRUM'],
    ['mdns.txt', 'fw=8.01.01'],
    ['mdns.service', '_dicom._tcp'],
    ['smb.os', 'Windows 5.1'],
    ['nmap.deviceType', 'router'],
    ['cpe', 'cpe:/o:linux:linux_kernel'],
  ];
  const MACS = [
    '00:a0:aa:5b:00:40',
    '44:4b:5d:c7:21:01',
    '02:00:5e:20:00:10',
    '00:1f:3c:87:66:50',
    '58:42:e4:10:00:60',
  ];
  const FIELDS: IdentityField[] = [
    'manufacturer',
    'model',
    'deviceClass',
    'softwareVersion',
    'firmwareVersion',
    'os',
    'osVersion',
  ];
  const arbHost = fc
    .record({
      hints: fc.subarray(HINT_POOL),
      macs: fc.subarray(MACS, { maxLength: 2 }),
      sop: fc.subarray([CT_STORAGE, MR_STORAGE, ECG_12LEAD, RT_PLAN, VERIFICATION]),
      roles: fc.subarray(['modality', 'pacs', 'workstation']),
      identity: fc.dictionary(
        fc.constantFrom(...FIELDS),
        fc.record({
          value: fc.constantFrom('Linux', 'Windows', 'pacs', 'Acme', 'x'),
          confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
      ),
    })
    .map(({ hints, macs, sop, roles, identity }) =>
      host({
        macs,
        hint: hints,
        dicom: sop.length || roles.length ? dicom({ sopClasses: sop, roles }) : undefined,
        identity: Object.fromEntries(
          Object.entries(identity).map(([k, v]) => [k, { ...v, evidence: ev(`existing ${k}`) }]),
        ),
      }),
    );

  it('is deterministic, idempotent, never lowers a value, and does not modify its input (property)', () => {
    fc.assert(
      fc.property(arbHost, (h) => {
        const before = structuredClone(h);
        const once = fingerprintHost(h);
        expect(h).toEqual(before);
        expect(fingerprintHost(structuredClone(h))).toEqual(once);
        expect(fingerprintHost(once)).toEqual(once);
        for (const field of FIELDS) {
          const old = h.identity[field];
          const now = once.identity[field];
          if (!old) continue;
          expect(now).toBeDefined();
          expect(now!.confidence).toBeGreaterThanOrEqual(old.confidence);
          if (now!.value !== old.value) expect(now!.confidence).toBeGreaterThan(old.confidence);
        }
        const cls = once.identity.deviceClass?.value;
        if (cls && !h.identity.deviceClass) expect(DEVICE_CLASSES).toContain(cls);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps C1 and bidirectional controls out of identity values (C1 as a space, bidi dropped)', () => {
    // U+009B is CSI: "\u009b2J" clears a terminal that honours C1; U+202E reverses what follows.
    const pump = fingerprintHost(
      host({
        hint: [
          ['mdns.txt', 'model=Medfusion\u009b2J\u00854000\u202e\u2066 Syringe\u200f\u061c'],
          ['mdns.txt', 'manufacturer=Smiths\u200e Medical\ud800'],
        ],
      }),
    );
    expect(pump.identity.model?.value).toBe('Medfusion 2J 4000 Syringe');
    expect(pump.identity.manufacturer?.value).toBe('Smiths Medical');
  });

  it('takes arbitrary hint values without throwing, and stays idempotent (fuzz)', () => {
    const kinds = Object.keys(HINT_KINDS);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...kinds), fc.string({ maxLength: 200, unit: 'binary' })), {
          maxLength: 8,
        }),
        (hints) => {
          const once = fingerprintHost(host({ hint: hints }));
          expect(fingerprintHost(once)).toEqual(once);
          for (const a of Object.values(once.identity)) {
            expect(a.value.length).toBeGreaterThan(0);
            expect(a.value.length).toBeLessThanOrEqual(120);
            expect(a.value).not.toMatch(/[\p{Cc}\p{Bidi_Control}\p{Cs}]/u);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fingerprintHost on a fleet of identical devices', () => {
  it('gives each host the same identity with evidence from its own packets (rule firings are shared)', () => {
    const hints: [string, string][] = [
      ['dhcp.vendorClass', 'GE Healthcare CT'],
      ['http.userAgent', 'Alaris-PCU/9.33.1'],
    ];
    const a = host({ ips: ['10.0.0.1'], hint: hints });
    const b = host({
      ips: ['10.0.0.2'],
      hints: a.hints.map((h, i) => ({ ...h, evidence: ev(h.evidence.summary, 500 + i) })),
    });
    const fa = fingerprintHost(a);
    const fb = fingerprintHost(b);
    expect(id(fb)).toEqual(id(fa));
    expect(Object.keys(fa.identity).length).toBeGreaterThan(0);
    for (const field of Object.keys(fa.identity) as IdentityField[]) {
      expect(fa.identity[field]!.evidence.packet).toBeLessThan(500);
      expect(fb.identity[field]!.evidence.packet).toBeGreaterThanOrEqual(500);
      expect(fb.identity[field]!.evidence.summary).toBe(fa.identity[field]!.evidence.summary);
    }
    // The same facts in another order may fire differently ("first match wins" is by order): not shared.
    const c = host({ ips: ['10.0.0.3'], hint: [hints[1]!, hints[0]!] });
    expect(id(fingerprintHost(c))).toEqual(id(fingerprintHost(host({ hint: [hints[1]!, hints[0]!] }))));
  });
});
