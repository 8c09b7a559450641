/**
 * The evidence functions on their own. Vectors are real: CVE-2024-40711 (CVE 5 record, CVSS 3.0),
 * ICSMA-17-241-01 CVE-2017-12712 (CVSS 3.0, AV:A), and the CVSS 4.0 example vector of the FIRST spec.
 */
import { describe, expect, it } from 'vitest';
import { automatableEvidence, technicalImpactEvidence } from './automatable.js';
import { environmentalCvss } from './environmental.js';
import { exploitationEvidence } from './exploitation.js';
import { exposureEvidence, isPublicIp } from './exposure.js';
import { humanImpactEvidence, MISSION_WELL_BEING } from './human-impact.js';

const V40711 = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V12712 = 'CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('exploitation', () => {
  const ssvc = {
    raw: 'SSVCv2/E:P/A:N/T:P/2024-09-18T19:25:28.300313+00:00/',
    exploitation: 'public_poc' as const,
    automatable: false,
    technicalImpact: 'partial' as const,
    decisionPoints: {},
    timestamp: null,
  };
  it('KEV wins, flags ransomware and carries the due date', () => {
    const e = exploitationEvidence({
      cve: 'CVE-2024-40711',
      kev: { dateAdded: '2024-10-17', dueDate: '2024-11-07', knownRansomwareCampaignUse: 'Known' },
      epss: null,
      ssvc,
    });
    expect(e).toMatchObject({ value: 'active', ransomware: true, kevDueDate: '2024-11-07', source: 'kev' });
  });
  it('EPSS at or above the threshold is public_poc; the threshold is a parameter', () => {
    const epss = { score: 0.00512, percentile: 0.64873, date: null };
    expect(exploitationEvidence({ cve: 'X', kev: false, epss, ssvc: null }).value).toBe('none');
    expect(exploitationEvidence({ cve: 'X', kev: false, epss, ssvc: null, epssThreshold: 0.005 }).value).toBe(
      'public_poc',
    );
  });
  it('a score just under the threshold is not printed rounded up to it', () => {
    const epss = { score: 0.0996, percentile: 0.92634, date: null };
    expect(exploitationEvidence({ cve: 'X', kev: false, epss, ssvc: null }).because).toContain(
      'EPSS 0.0996 below 0.1',
    );
  });
  it("falls back to CISA's SSVC note, then none", () => {
    expect(exploitationEvidence({ cve: 'X', kev: false, epss: null, ssvc })).toMatchObject({
      value: 'public_poc',
      source: 'csaf-ssvc',
    });
    expect(exploitationEvidence({ cve: 'X', kev: null, epss: null, ssvc: null }).because).toContain(
      'KEV not loaded',
    );
  });
  it('ranks the evidence: SSVC active over EPSS, exploit references before an SSVC PoC or none', () => {
    const adpActive = {
      ...ssvc,
      raw: 'CISA ADP SSVC 2.0.3: Exploitation active',
      exploitation: 'active' as const,
      origin: 'cve5-adp' as const,
    };
    const highEpss = { score: 0.91212, percentile: 0.99, date: null };
    expect(exploitationEvidence({ cve: 'X', kev: false, epss: highEpss, ssvc: adpActive })).toMatchObject({
      value: 'active',
      source: 'cisa-adp',
    });
    const noneNote = { ...ssvc, exploitation: 'none' as const };
    const refs = ['https://wpscan.com/vulnerability/68deab46-1c16-46ae-a912-a104958ca4cf'];
    const byRefs = exploitationEvidence({
      cve: 'X',
      kev: false,
      epss: null,
      ssvc: noneNote,
      exploitRefs: refs,
    });
    expect(byRefs).toMatchObject({ value: 'public_poc', source: 'references' });
    expect(byRefs.because).toContain('wpscan.com');
    expect(exploitationEvidence({ cve: 'X', kev: false, epss: null, ssvc: noneNote }).value).toBe('none');
  });
});

describe('exposure', () => {
  it('knows public from private addresses', () => {
    for (const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      'fd00::1',
      'fe80::1',
    ])
      expect(isPublicIp(ip), ip).toBe(false);
    for (const ip of ['8.8.8.8', '2001:4860::8888']) expect(isPublicIp(ip), ip).toBe(true);
  });
  it('open by public address or open zone, controlled by other zones, unknown said so, small by controls', () => {
    const segs = [
      { name: 'Guest Wi-Fi', cidrs: ['10.99.0.0/16'], zone: 'Guest' },
      { name: 'ICU', cidrs: ['10.1.0.0/16'], zone: 'clinical' },
      { name: 'Lab', cidrs: ['10.2.0.0/16'], zone: null },
    ];
    expect(exposureEvidence({ ips: ['8.8.8.8'], segments: segs }).value).toBe('open');
    expect(exposureEvidence({ ips: ['10.99.3.4'], segments: segs }).value).toBe('open');
    expect(exposureEvidence({ ips: ['10.1.3.4'], segments: segs }).value).toBe('controlled');
    const unknown = exposureEvidence({ ips: ['10.2.3.4'], segments: segs });
    expect(unknown).toMatchObject({ value: 'controlled', source: 'default' });
    expect(unknown.because).toContain('exposure unknown');
    expect(exposureEvidence({ ips: ['8.8.8.8'], segments: segs, controls: ['isolated'] }).value).toBe(
      'small',
    );
    // Internet traffic seen in stored conversations: an internet host connecting in makes it open;
    // outbound-only traffic is said but stays controlled (NAT, a vendor cloud).
    const seen = {
      peer: '52.44.164.170',
      port: 443,
      transport: 'tcp',
      established: true,
      lastSeen: '2026-11-20T10:00:00Z',
    };
    const inbound = exposureEvidence({
      ips: ['10.1.3.4'],
      segments: segs,
      internet: { ...seen, inbound: true },
    });
    expect(inbound).toMatchObject({ value: 'open', source: 'network' });
    expect(inbound.because).toContain('internet host 52.44.164.170 connected to it on 443/tcp');
    const outbound = exposureEvidence({
      ips: ['10.1.3.4'],
      segments: segs,
      internet: { ...seen, inbound: false },
    });
    expect(outbound.value).toBe('controlled');
    expect(outbound.because).toContain('outbound only');
    const refused = exposureEvidence({
      ips: ['10.1.3.4'],
      segments: segs,
      internet: { ...seen, inbound: true, established: false },
    });
    expect(refused.value).toBe('controlled');
    expect(refused.because).toContain('not answered');
    expect(
      exposureEvidence({
        ips: ['10.1.3.4'],
        segments: segs,
        internet: { ...seen, inbound: true },
        controls: ['segmented'],
      }).value,
    ).toBe('small');
    // Only controls that cut the network path count; a disabled service does not change exposure.
    expect(exposureEvidence({ ips: ['8.8.8.8'], segments: segs, controls: ['service-disabled'] }).value).toBe(
      'open',
    );
  });
});

describe('automatable and technical impact', () => {
  it('reads the vector when no SSVC note is present', () => {
    expect(automatableEvidence({ vector: V40711, ssvc: null }).value).toBe('yes');
    expect(automatableEvidence({ vector: V12712, ssvc: null }).value).toBe('no');
    expect(automatableEvidence({ vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', ssvc: null }).value).toBe('yes');
    expect(technicalImpactEvidence({ vector: V12712, ssvc: null }).value).toBe('total');
  });
});

describe('human impact', () => {
  it('maps criticality and ePHI to Safety and Mission Impact', () => {
    const h = (criticality: Parameters<typeof humanImpactEvidence>[0]['criticality'], ephi: boolean | null) =>
      humanImpactEvidence({ criticality, ephi, deviceClass: 'other-medical' });
    expect([h('life-sustaining', null).safety.value, h('life-sustaining', null).mission.value]).toEqual([
      'C',
      'MEF',
    ]);
    expect([h('life-supporting', false).safety.value, h('life-supporting', false).mission.value]).toEqual([
      'R',
      'MEF',
    ]);
    expect(h('non-clinical', true).mission.value).toBe('MSC');
    expect(h('non-clinical', false).mission.value).toBe('D');
    expect(
      humanImpactEvidence({ criticality: null, ephi: null, deviceClass: 'implantable-programmer' }).safety
        .value,
    ).toBe('C');
  });
});

describe('mission prevalence and well-being (CISA tree)', () => {
  const h = (
    criticality: Parameters<typeof humanImpactEvidence>[0]['criticality'],
    units: number,
    widespreadUnits?: number,
  ) =>
    humanImpactEvidence({
      criticality,
      ephi: false,
      deviceClass: 'other-medical',
      prevalence: { units, ...(widespreadUnits ? { widespreadUnits } : {}) },
    });

  it("reproduces CISA's Mission and Well-Being table (prevalence × public well-being)", () => {
    // CISA SSVC Guide (Nov 2022): rows Minimal, Support, Essential; columns Minimal, Material, Irreversible.
    const table = [
      ['L', 'M', 'H'],
      ['M', 'M', 'H'],
      ['H', 'H', 'H'],
    ];
    (['M', 'S', 'E'] as const).forEach((mp, i) => {
      (['M', 'R', 'I'] as const).forEach((pwb, j) => {
        expect(MISSION_WELL_BEING[mp][pwb], `${mp}/${pwb}`).toBe(table[i]![j]);
      });
    });
  });

  it('counts the devices of the model: a widespread model is more prevalent and its failure worse', () => {
    expect(h('life-sustaining', 1).prevalence.value).toBe('E');
    expect(h('diagnostic', 3).prevalence.value).toBe('S');
    expect(h('diagnostic', 40).prevalence.value).toBe('E');
    expect(h('non-clinical', 3).prevalence.value).toBe('M');
    expect(h('non-clinical', 300).prevalence.value).toBe('S');
    expect(h('non-clinical', 10, 10).prevalence.value).toBe('S');
    expect(h('diagnostic', 3).mission.value).toBe('MSC');
    const many = h('diagnostic', 40);
    expect(many.mission.value).toBe('MEF');
    expect(many.mission.because).toContain('40 active devices of the model');
    // Well-being: prevalence minimal + safety negligible → Low; diagnostic (marginal) and widespread → High.
    expect(h('non-clinical', 3).wellBeing.value).toBe('L');
    expect(h('diagnostic', 3).wellBeing.value).toBe('M');
    expect(many.wellBeing.value).toBe('H');
    expect(h('life-supporting', 1).wellBeing.value).toBe('H');
  });
});

describe('environmental CVSS', () => {
  it('sets CR/IR/AR from ePHI and criticality, and S:P on CVSS 4.0 for patient-harming devices', () => {
    const pm = environmentalCvss({
      vector: V4,
      baseScore: 9.3,
      criticality: 'life-sustaining',
      ephi: true,
      exposure: 'controlled',
    });
    expect(pm.vector).toBe(`${V4}/CR:H/IR:H/AR:H/S:P`);
    expect(pm.environmental).not.toBeNull();
    const seg = environmentalCvss({
      vector: V40711,
      baseScore: 9.8,
      criticality: 'non-clinical',
      ephi: false,
      exposure: 'small',
    });
    expect(seg.vector).toBe(`${V40711}/CR:L/IR:L/AR:L/MAV:A`);
    expect(seg.environmental!).toBeLessThan(9.8);
    expect(
      environmentalCvss({
        vector: 'CVSS:3.1/AV:Q',
        baseScore: null,
        criticality: null,
        ephi: null,
        exposure: 'open',
      }).error,
    ).toBeTruthy();
  });
});
