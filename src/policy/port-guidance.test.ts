/**
 * Port guidance from advisories: the parser against real sentences (each with the document it comes
 * from and its JSON path), a property test that it never throws, the proposal flagging rules an
 * advisory or an MDS2 declaration speaks against, and the service path on SQLite and PostgreSQL with a
 * real CISA advisory imported and devices of its product.
 *
 * Real sentences come from the CISA CSAF snapshot (github.com/cisagov/CSAF, commit 6960219f, copied in
 * /work/shared/data/01-csaf-icsma and 01b-csaf-icsa-contrast and test/fixtures/advisories/csaf), the
 * OASIS CSAF 2.0 examples (cisco-sa-20180328-smi2) and the CISA KEV catalog 2025.08.25 (CVE-2023-29552).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { readCsafAdvisory } from '../formats/csaf/csaf-advisory.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import type { VigilDatabase } from '../store/database.js';
import type { PolicyFlow } from './policy-flow.js';
import { NetworkMap } from './policy-inventory.js';
import { proposeDraft } from './policy-service.js';
import {
  extractPortGuidance,
  guidanceOfCsafAdvisory,
  NO_MDS2,
  type PortGuidance,
  type ProposalGuidance,
  proposalNotes,
} from './port-guidance.js';
import { proposePolicy } from './propose.js';

const brief = (list: PortGuidance[]) =>
  list.map(
    (g) => `${g.action} ${g.portFrom}${g.portTo === g.portFrom ? '' : `-${g.portTo}`}/${g.transport ?? '*'}`,
  );

/** A real sentence, where it was published. */
interface RealSentence {
  advisoryId: string;
  path: string;
  text: string;
  expected: string[];
}

const REAL: RealSentence[] = [
  {
    advisoryId: 'CVE-2023-29552 (CISA KEV requiredAction)',
    path: '$.vulnerabilities[?(@.cveID=="CVE-2023-29552")].requiredAction',
    text: 'Apply mitigations per vendor instructions or disable SLP service or port 427/UDP on all systems running on untrusted networks, including those directly connected to the Internet.',
    expected: ['deny 427/udp'],
  },
  {
    advisoryId: 'ICSMA-19-113-01',
    path: '$.vulnerabilities[1].notes[0].text',
    text: 'The device provides insecure telnet services that lack authentication requirements. An attacker who successfully exploits this vulnerability may be able to access the underlying operating system.CVE-2019-10950 has been assigned to this vulnerability. A CVSS v3 base score of 9.8 has been calculated; the CVSS vector string is (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H).',
    expected: ['exposure 23/tcp'],
  },
  {
    advisoryId: 'ICSA-19-099-03',
    path: '$.vulnerabilities[0].notes[0].text',
    text: 'Specially crafted network packets sent to affected devices on Port 4840/TCP could allow an unauthenticated remote attacker to cause a denial-of-service condition in the OPC communication or crash the device.',
    expected: ['exposure 4840/tcp'],
  },
  {
    advisoryId: 'cisco-sa-20180328-smi2',
    path: '$.vulnerabilities[0].notes[0].text',
    text: 'An attacker could exploit this vulnerability by sending a crafted Smart Install message to an affected device on TCP port 4786.',
    expected: ['exposure 4786/tcp'],
  },
  {
    advisoryId: 'ICSMA-17-250-02A',
    path: '$.vulnerabilities[5].notes[0].text',
    text: 'The FTP server on the pump does not require authentication if the pump is configured to allow FTP connections. Telnet on the pump uses hardcoded credentials, which can be used if the pump is configured to allow external communications.',
    expected: ['exposure 21/tcp', 'exposure 23/tcp'],
  },
  {
    // "limited" after Telnet describes the impact; it is no instruction.
    advisoryId: 'ICSMA-17-250-02A',
    path: '$.vulnerabilities[6].notes[0].text',
    text: 'Smiths Medical assesses that it is not possible to upload files via Telnet and the impact of this vulnerability is limited to the communications module.',
    expected: ['exposure 23/tcp'],
  },
  {
    advisoryId: 'ICSMA-19-164-01',
    path: '$.vulnerabilities[0].remediations[3].details',
    text: 'BD is currently assessing additional remediation efforts, including an adjustment to restrict the SMB protocol.',
    expected: ['restrict 445/tcp'],
  },
  {
    advisoryId: 'ICSMA-20-049-01',
    path: '$.document.notes[2].text',
    text: 'A remote code execution vulnerability called BlueKeep (CVE-2019-0708) exists within the Remote Desktop Protocol (RDP) used by the Microsoft Windows operating systems listed below.',
    expected: ['exposure 3389/tcp'],
  },
  // Sentences that name no network service: nothing, however close the words.
  {
    advisoryId: 'ICSMA-20-254-01',
    path: '$.vulnerabilities[0].remediations[7].details',
    text: 'Philips recommends using a firewall or routers that can implement access control lists restricting access in and out of the patient monitoring network for only necessary ports and IP addresses.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-20-254-01',
    path: '$.document.notes[9].text',
    text: 'Disable unnecessary accounts and services.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-17-082-02',
    path: '$.vulnerabilities[0].remediations[0].details',
    text: 'https://ftp.bbmus.com',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-23-331-01',
    path: '$.vulnerabilities[0].notes[0].text',
    text: 'In BD FACSChorus v5.0, v5.1, v3.0, and v3.1, the respective workstation operating system does not restrict what devices can interact with its USB ports.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-19-190-01',
    path: '$.vulnerabilities[0].remediations[0].details',
    text: 'GE Healthcare recommends organizations use secure terminal servers when connecting GE Healthcare anesthesia device serial ports to TCP/IP networks.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-19-274-01',
    path: '$.vulnerabilities[2].notes[0].text',
    text: 'An attacker can either hijack an existing TCP session and inject bad TCP segments or establish a new TCP session on any TCP port listened to by the target.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-22-335-01',
    path: '$.vulnerabilities[0].notes[0].text',
    text: 'If exploited, threat actors with physical access and specialized equipment and knowledge could configure or disable the pump.',
    expected: [],
  },
  {
    advisoryId: 'ICSMA-17-250-02A',
    path: '$.vulnerabilities[0].remediations[0].details',
    text: 'Smiths Medical has released update Version 1.6.1 to mitigate the vulnerabilities in the Medfusion 4000 Wireless Syringe Infusion Pump.',
    expected: [],
  },
];

/** The phrasings the issue and CISA's older HTML advisories use, beside the real ones above. */
const PHRASINGS: [string, string[]][] = [
  ['Close port 20/FTP and 23/TELNET.', ['deny 20/tcp', 'deny 23/tcp']],
  ['Block TCP port 443 at the firewall.', ['deny 443/tcp']],
  ['Restrict access to port 104 to the PACS.', ['restrict 104/*']],
  ['Disable Telnet.', ['deny 23/tcp']],
  ['UDP 161 should be limited to the network management station.', ['restrict 161/udp']],
  ['Close ports 8000-8080.', ['deny 8000-8080/*']],
  ['Disable Telnet and restrict port 443 to the biomed subnet.', ['deny 23/tcp', 'restrict 443/*']],
  ['Port 23 should be closed.', ['deny 23/*']],
  [
    'Allow only TCP ports 80, 443 and 8443 from the clinical VLAN.',
    ['restrict 80/tcp', 'restrict 443/tcp', 'restrict 8443/tcp'],
  ],
  ['It is not possible to disable FTP.', ['exposure 21/tcp']],
  ['Open 24/7; version 1.6/Beta.', []],
];

describe('extractPortGuidance', () => {
  it.each(REAL)('reads $advisoryId $path', ({ advisoryId, path, text, expected }) => {
    const got = extractPortGuidance(text, { advisoryId, path, source: 'note' });
    expect(brief(got)).toEqual(expected);
    for (const g of got) {
      expect(g).toMatchObject({ advisoryId, path, source: 'note' });
      expect(text).toContain(g.sentence);
    }
  });

  it.each(PHRASINGS)('reads "%s"', (text, expected) => {
    expect(brief(extractPortGuidance(text, { advisoryId: 'T', path: '$', source: 'mitigation' }))).toEqual(
      expected,
    );
  });

  it('keeps the sentence, the verb and the service name', () => {
    const [slp, port] = extractPortGuidance(REAL[0]!.text, { advisoryId: 'K', path: '$.x', source: 'kev' });
    expect(slp).toMatchObject({ verb: 'disable', service: 'slp', sentence: REAL[0]!.text });
    expect(port).toBeUndefined(); // "SLP service or port 427/UDP" is one service, reported once
    const [ftp] = extractPortGuidance('Close port 20/FTP and 23/TELNET.', {
      advisoryId: 'T',
      path: '$',
      source: 'x',
    });
    expect(ftp).toMatchObject({ verb: 'close', service: 'ftp', portFrom: 20 });
  });

  it('never throws and only reports valid port ranges, on any text', () => {
    const words = fc.constantFrom(
      'port',
      'ports',
      'TCP',
      'udp',
      'close',
      'restrict',
      'not',
      'disable',
      'telnet',
      'FTP',
      '/',
      '-',
      ',',
      'and',
      '.',
      '23',
      '0',
      '65535',
      '99999',
      '8000-8080',
      'http://ftp.x.com',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(words, { maxLength: 40 }).map((w) => w.join(' ')),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const g of extractPortGuidance(t, { advisoryId: 'F', path: '$', source: 'note' })) {
          expect(g.portFrom).toBeGreaterThanOrEqual(1);
          expect(g.portTo).toBeLessThanOrEqual(65_535);
          expect(g.portFrom).toBeLessThanOrEqual(g.portTo);
        }
      }),
      { numRuns: 2000 },
    );
    expect(
      extractPortGuidance(undefined as unknown as string, { advisoryId: 'F', path: '$', source: 'x' }),
    ).toEqual([]);
  });
});

// The whole shared ICSMA set is an opt-in check (VIGIL_SHARED_DATA=../shared/data), like
// formats/csaf/csaf-shared-data.test.ts; the Fujifilm document is a repository fixture.
const SHARED = process.env['VIGIL_SHARED_DATA'] ?? '';
const FUJIFILM = new URL('../../test/fixtures/policy/icsma-19-113-01.json', import.meta.url).pathname;
const TASY = new URL('../../test/fixtures/advisories/csaf/icsma-21-308-01.json', import.meta.url).pathname;

describe('guidanceOfCsafAdvisory', () => {
  it('finds nothing port-related in the Tasy advisory (vendor fixes only)', () => {
    const r = readCsafAdvisory(JSON.parse(readFileSync(TASY, 'utf8')), TASY);
    expect(r.ok && guidanceOfCsafAdvisory(r.advisory)).toEqual([]);
  });

  it('reads the Telnet note of ICSMA-19-113-01 with its path', () => {
    const r = readCsafAdvisory(JSON.parse(readFileSync(FUJIFILM, 'utf8')), FUJIFILM);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(
      guidanceOfCsafAdvisory(r.advisory).map((g) => `${g.path} ${g.action} ${g.portFrom}/${g.transport}`),
    ).toEqual(['$.vulnerabilities[1].notes[0].text exposure 23/tcp']);
  });
});

// ---- the proposal -------------------------------------------------------------------------------

const T = '2026-11-28T10:00:00.000Z';
const flow = (
  client: string,
  server: string,
  port: number,
  transport: 'tcp' | 'udp',
  protocol: string | null = null,
): PolicyFlow => ({
  client,
  server,
  port,
  transport,
  protocol,
  connections: 1,
  firstSeen: T,
  lastSeen: T,
});

const map = new NetworkMap({
  devices: [
    { id: 'ws', label: 'WS-1', deviceClass: 'medical-workstation', siteId: 's', ips: ['10.20.0.50'] },
    { id: 'esxi', label: 'ESXI-1', deviceClass: 'it', siteId: 's', ips: ['10.20.0.80'] },
    { id: 'pacs', label: 'PACS-1', deviceClass: 'pacs', siteId: 's', ips: ['10.20.0.10'] },
  ],
  segments: [{ siteId: 's', name: 'clinical', cidrs: ['10.20.0.0/24'], zone: 'clinical' }],
});

function guidanceFor(byDevice: Record<string, PortGuidance[]>, mds2 = NO_MDS2): ProposalGuidance {
  return { byDevice: new Map(Object.entries(byDevice)), modelOf: new Map([['pacs', 'model-pacs']]), mds2 };
}

describe('proposal with guidance', () => {
  const slp = extractPortGuidance(REAL[0]!.text, {
    advisoryId: 'KEV CVE-2023-29552',
    path: '$.x',
    source: 'kev',
  });
  const restrict104 = extractPortGuidance('Restrict access to port 104 to the modalities that send images.', {
    advisoryId: 'T-104',
    path: '$.vulnerabilities[0].remediations[0].details',
    source: 'mitigation',
  });

  it('flags a rule on a port an advisory for the server says to close, with the advisory as the reason', () => {
    const flows = [
      flow('10.20.0.50', '10.20.0.80', 427, 'udp', 'slp'),
      flow('10.20.0.50', '10.20.0.10', 104, 'tcp', 'dicom'),
    ];
    const without = proposePolicy(map, flows);
    expect(without.rules.map((r) => r.review)).toEqual([false, false]);
    const p = proposePolicy(map, flows, { guidance: guidanceFor({ esxi: slp }) });
    const slpRule = p.rules.find((r) => r.port === 427)!;
    expect(slpRule.review).toBe(true);
    expect(slpRule.reason).toContain('advisory KEV CVE-2023-29552 says to close this port');
    expect(slpRule.guidance).toEqual([
      expect.objectContaining({
        source: 'advisory',
        advisoryId: 'KEV CVE-2023-29552',
        path: '$.x',
        action: 'deny',
        review: true,
      }),
    ]);
    expect(p.rules.find((r) => r.port === 104)).not.toHaveProperty('guidance');
  });

  it('restrict: keeps rules from known devices, flags clients no device owns', () => {
    const flows = [
      flow('10.20.0.50', '10.20.0.10', 104, 'tcp'),
      flow('10.20.0.99', '10.20.0.10', 104, 'tcp'),
    ];
    const p = proposePolicy(map, flows, { guidance: guidanceFor({ pacs: restrict104 }) });
    const known = p.rules.find((r) => !r.from.hosts)!;
    const unknown = p.rules.find((r) => r.from.hosts)!;
    expect(known.review).toBe(false);
    expect(known.guidance?.[0]).toMatchObject({ action: 'restrict', review: false });
    expect(unknown.review).toBe(true);
    expect(unknown.reason).toContain('T-104 says to restrict this port');
  });

  it('MDS2: a port the model does not declare is flagged; the default provider declares nothing', () => {
    const mds2 = {
      servicesOf: (id: string) =>
        id === 'model-pacs' ? [{ port: 104, transport: 'tcp' as const }] : undefined,
    };
    const flows = [
      flow('10.20.0.50', '10.20.0.10', 104, 'tcp'),
      flow('10.20.0.50', '10.20.0.10', 8080, 'tcp'),
    ];
    const p = proposePolicy(map, flows, { guidance: guidanceFor({}, mds2) });
    expect(p.rules.map((r) => [r.port, r.review, r.guidance?.map((g) => g.action) ?? []])).toEqual([
      [104, false, []],
      [8080, true, ['undeclared']],
    ]);
    expect(proposalNotes(guidanceFor({}), ['pacs'], 8080, 'tcp', true)).toEqual([]);
  });
});

// ---- the service, on both dialects ----------------------------------------------------------------

describe.each(DIALECTS)('proposal guidance from a stored advisory on %s', (dialect) => {
  let vdb: VigilDatabase;
  let tmp = '';
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'SGH' });
    await addSegment(vdb, cliActor, 'SGH', { name: 'clinical', cidrs: ['10.20.0.0/24'], zone: 'clinical' });
    await addDevice(vdb, cliActor, {
      assetTag: 'WS-1',
      deviceClass: 'medical-workstation',
      ips: ['10.20.0.50'],
      site: 'SGH',
    });
    // The product ICSMA-19-113-01 names: Fujifilm FCR XC-2 with the CR-IR 357 reader.
    await addDevice(vdb, cliActor, {
      assetTag: 'CR-1',
      manufacturer: 'Fujifilm',
      model: 'FCR XC-2',
      modelNumber: 'CR-IR 357',
      deviceClass: 'imaging-xr',
      ips: ['10.20.0.70'],
      site: 'SGH',
    });
    // A copy, so a test can take the original file away afterwards.
    tmp = mkdtempSync(join(tmpdir(), 'vigil-guidance-'));
    copyFileSync(FUJIFILM, join(tmp, 'icsma-19-113-01.json'));
    const r = await importAdvisoryPaths(vdb, cliActor, [join(tmp, 'icsma-19-113-01.json'), TASY]);
    expect(r.files.map((f) => f.status)).toEqual(['imported', 'imported']);
    expect(r.match?.byStatus).toEqual({ affected: 2 });
  });
  afterAll(async () => {
    await vdb?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const flows = [
    flow('10.20.0.50', '10.20.0.70', 23, 'tcp', 'telnet'),
    flow('10.20.0.50', '10.20.0.70', 104, 'tcp', 'dicom'),
  ];

  it('flags the Telnet rule to the matched device with the advisory, path and sentence, and reports it', async () => {
    const draft = await proposeDraft(vdb, cliActor, { site: 'SGH' }, { flows });
    const telnet = draft.policy.rules.find((r) => r.port === 23)!;
    expect(telnet.review).toBe(true);
    expect(telnet.reason).toContain('advisory ICSMA-19-113-01 names this port as the way in');
    expect(draft.guidance).toEqual([
      {
        ruleId: telnet.id,
        port: 23,
        transport: 'tcp',
        source: 'advisory',
        advisoryId: 'ICSMA-19-113-01',
        path: '$.vulnerabilities[1].notes[0].text',
        action: 'exposure',
        sentence: 'The device provides insecure telnet services that lack authentication requirements.',
        review: true,
      },
    ]);
    expect(draft.policy.rules.find((r) => r.port === 104)?.review).toBe(false);
  });

  it('MDS2 declarations flag services the model does not declare', async () => {
    const mds2 = { servicesOf: () => [{ port: 104, transport: 'tcp' as const }] };
    const draft = await proposeDraft(vdb, cliActor, { site: 'SGH' }, { flows, mds2 });
    expect(draft.guidance.filter((g) => g.source === 'mds2').map((g) => [g.port, g.action])).toEqual([
      [23, 'undeclared'],
    ]);
  });

  it('without the original file, reads the stored remediations only (notes are not stored)', async () => {
    rmSync(join(tmp, 'icsma-19-113-01.json'));
    const draft = await proposeDraft(vdb, cliActor, { site: 'SGH' }, { flows });
    // ICSMA-19-113-01's remediations name no port; its Telnet note is only in the document.
    expect(draft.guidance).toEqual([]);
  });
});

const ICSMA = `${SHARED}/01-csaf-icsma`;

describe.skipIf(!SHARED || !existsSync(ICSMA))(
  'over all 73 shared ICSMA advisories (no invented guidance)',
  () => {
    it('finds only the services the documents really name', () => {
      const files = readdirSync(ICSMA, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.json'))
        .sort();
      expect(files.length).toBe(73);
      const found = new Set<string>();
      for (const f of files) {
        const r = readCsafAdvisory(JSON.parse(readFileSync(join(ICSMA, f), 'utf8')), f);
        if (!r.ok) continue;
        for (const g of guidanceOfCsafAdvisory(r.advisory))
          found.add(`${g.advisoryId} ${g.action} ${g.portFrom}/${g.transport} ${g.service ?? ''}`.trim());
      }
      // Each checked by hand against its sentence (the real-sentence cases above quote most of them).
      expect([...found].sort()).toEqual([
        'ICSMA-17-250-02A exposure 21/tcp ftp',
        'ICSMA-17-250-02A exposure 23/tcp telnet',
        'ICSMA-19-113-01 exposure 23/tcp telnet',
        'ICSMA-19-164-01 restrict 445/tcp smb',
        'ICSMA-20-023-01 exposure 3389/tcp rdp',
        'ICSMA-20-023-01 exposure 445/tcp smb',
        'ICSMA-20-049-01 exposure 3389/tcp rdp',
      ]);
    });
  },
);
