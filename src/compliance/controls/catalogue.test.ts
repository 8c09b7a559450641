/**
 * The control catalogue as data: ids unique, every evidence kind known and collected, and the
 * framework references the brief and the sources name (HIPAA paragraphs, the NPRM schedules, the
 * HPH CPG tiers, the six CSF 2.0 functions) present, written out here rather than derived.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUE, EVIDENCE_KINDS, FRAMEWORK_IDS, frameworksOf } from './index.js';

const refs = (id: string) => CATALOGUE.find((f) => f.id === id)!.controls.map((c) => c.ref);
const controlsOf = (id: string) => CATALOGUE.find((f) => f.id === id)!.controls;

/**
 * 45 CFR §164.308, §164.310 and §164.312 as the eCFR designates them, written out from the rule's text
 * (govinfo CFR, Title 45 §164.308/310/312): every standard, and every implementation specification with
 * the rule's own "(Required)" or "(Addressable)". A HIPAA control must cite one of these, and its title
 * must carry the same word (none for a standard).
 */
const CFR: Record<string, 'standard' | 'required' | 'addressable'> = {
  '§164.308(a)(1)(i)': 'standard',
  '§164.308(a)(1)(ii)(A)': 'required',
  '§164.308(a)(1)(ii)(B)': 'required',
  '§164.308(a)(1)(ii)(C)': 'required',
  '§164.308(a)(1)(ii)(D)': 'required',
  '§164.308(a)(2)': 'standard',
  '§164.308(a)(3)(i)': 'standard',
  '§164.308(a)(3)(ii)(A)': 'addressable',
  '§164.308(a)(3)(ii)(B)': 'addressable',
  '§164.308(a)(3)(ii)(C)': 'addressable',
  '§164.308(a)(4)(i)': 'standard',
  '§164.308(a)(4)(ii)(A)': 'required',
  '§164.308(a)(4)(ii)(B)': 'addressable',
  '§164.308(a)(4)(ii)(C)': 'addressable',
  '§164.308(a)(5)(i)': 'standard',
  '§164.308(a)(5)(ii)(A)': 'addressable',
  '§164.308(a)(5)(ii)(B)': 'addressable',
  '§164.308(a)(5)(ii)(C)': 'addressable',
  '§164.308(a)(5)(ii)(D)': 'addressable',
  '§164.308(a)(6)(i)': 'standard',
  '§164.308(a)(6)(ii)': 'required',
  '§164.308(a)(7)(i)': 'standard',
  '§164.308(a)(7)(ii)(A)': 'required',
  '§164.308(a)(7)(ii)(B)': 'required',
  '§164.308(a)(7)(ii)(C)': 'required',
  '§164.308(a)(7)(ii)(D)': 'addressable',
  '§164.308(a)(7)(ii)(E)': 'addressable',
  '§164.308(a)(8)': 'standard',
  '§164.308(b)(1)': 'standard',
  '§164.308(b)(3)': 'required',
  '§164.310(a)(1)': 'standard',
  '§164.310(a)(2)(i)': 'addressable',
  '§164.310(a)(2)(ii)': 'addressable',
  '§164.310(a)(2)(iii)': 'addressable',
  '§164.310(a)(2)(iv)': 'addressable',
  '§164.310(b)': 'standard',
  '§164.310(c)': 'standard',
  '§164.310(d)(1)': 'standard',
  '§164.310(d)(2)(i)': 'required',
  '§164.310(d)(2)(ii)': 'required',
  '§164.310(d)(2)(iii)': 'addressable',
  '§164.310(d)(2)(iv)': 'addressable',
  '§164.312(a)(1)': 'standard',
  '§164.312(a)(2)(i)': 'required',
  '§164.312(a)(2)(ii)': 'required',
  '§164.312(a)(2)(iii)': 'addressable',
  '§164.312(a)(2)(iv)': 'addressable',
  '§164.312(b)': 'standard',
  '§164.312(c)(1)': 'standard',
  '§164.312(c)(2)': 'addressable',
  '§164.312(d)': 'standard',
  '§164.312(e)(1)': 'standard',
  '§164.312(e)(2)(i)': 'addressable',
  '§164.312(e)(2)(ii)': 'addressable',
};

/** NIST CSWP 29 (CSF 2.0): the 22 categories and their names. CSF 1.1 ids (PR.AC, PR.IP, DE.DP …) are not here. */
const CSF2_CATEGORIES: Record<string, string> = {
  'GV.OC': 'Organizational Context',
  'GV.RM': 'Risk Management Strategy',
  'GV.RR': 'Roles, Responsibilities, and Authorities',
  'GV.PO': 'Policy',
  'GV.OV': 'Oversight',
  'GV.SC': 'Cybersecurity Supply Chain Risk Management',
  'ID.AM': 'Asset Management',
  'ID.RA': 'Risk Assessment',
  'ID.IM': 'Improvement',
  'PR.AA': 'Identity Management, Authentication, and Access Control',
  'PR.AT': 'Awareness and Training',
  'PR.DS': 'Data Security',
  'PR.PS': 'Platform Security',
  'PR.IR': 'Technology Infrastructure Resilience',
  'DE.CM': 'Continuous Monitoring',
  'DE.AE': 'Adverse Event Analysis',
  'RS.MA': 'Incident Management',
  'RS.AN': 'Incident Analysis',
  'RS.CO': 'Incident Response Reporting and Communication',
  'RS.MI': 'Incident Mitigation',
  'RC.RP': 'Incident Recovery Plan Execution',
  'RC.CO': 'Incident Recovery Communication',
};

describe('control catalogue', () => {
  it('has one file per framework, unique control ids and only known evidence kinds', () => {
    expect(CATALOGUE.map((f) => f.id)).toEqual([...FRAMEWORK_IDS]);
    const ids = CATALOGUE.flatMap((f) => f.controls.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATALOGUE.flatMap((f) => f.controls))
      for (const k of c.evidence) expect(EVIDENCE_KINDS).toContain(k);
    // Every evidence kind is used by some control.
    const used = new Set(CATALOGUE.flatMap((f) => f.controls.flatMap((c) => c.evidence)));
    expect([...EVIDENCE_KINDS].filter((k) => !used.has(k))).toEqual([]);
  });

  it('cites the HIPAA Security Rule paragraphs', () => {
    expect(refs('hipaa')).toEqual(
      expect.arrayContaining([
        '§164.308(a)(1)(ii)(A)',
        '§164.308(a)(1)(ii)(B)',
        '§164.308(a)(1)(ii)(D)',
        '§164.308(a)(2)',
        '§164.308(a)(5)(i)',
        '§164.308(a)(6)(ii)',
        '§164.308(a)(8)',
        '§164.310(d)(1)',
        '§164.312(a)(1)',
        '§164.312(b)',
        '§164.312(c)(1)',
        '§164.312(d)',
        '§164.312(e)(1)',
      ]),
    );
  });

  it('cites each HIPAA paragraph as the CFR designates it, required or addressable as the CFR says', () => {
    for (const c of controlsOf('hipaa')) {
      expect(Object.keys(CFR), c.id).toContain(c.ref);
      const spec = CFR[c.ref]!;
      const said = /\((required|addressable)\)$/.exec(c.title)?.[1] ?? 'standard';
      expect(said, `${c.ref} ${c.title}`).toBe(spec);
      // The id is the ref's paragraph path, so a renumbered ref cannot keep a stale id unnoticed.
      expect(c.ref.replace(/[()§]+/g, '-').replace(/-+$/, ''), c.id).toMatch(
        new RegExp(`^${c.id.replace(/^hipaa-/, '-').replace(/[.]/g, '\\.')}`),
      );
    }
  });

  it('cites CSF 2.0 categories by their CSF 2.0 ids and names, no CSF 1.1 id', () => {
    for (const c of controlsOf('nist-csf')) {
      expect(c.ref).toMatch(/^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}(-\d{2})?$/);
      expect(CSF2_CATEGORIES[c.ref.slice(0, 5)], c.ref).toBe(c.title);
      expect(c.group).toBe(c.ref.slice(0, 2));
    }
    // No CSF 1.1 id (PR.AC-1, ID.AM-1, PR.DS-3 …) anywhere in the catalogue's text as a 2.0 id.
    for (const c of CATALOGUE.flatMap((f) => f.controls))
      expect(`${c.ref} ${c.title} ${c.requirement}`).not.toMatch(
        /\b[A-Z]{2}\.[A-Z]{2}-\d\b|\bPR\.(AC|IP|MA|PT)\b|\bDE\.DP\b|\bRS\.(RP|IM)\b|\bRC\.IM\b/,
      );
  });

  it('says where a framework is proposed or voluntary, and never numbers FDA recommendations FDA did not number', () => {
    const nprm = CATALOGUE.find((f) => f.id === 'hhs-nprm')!;
    expect(nprm.title).toMatch(/proposed, not in force/);
    expect(nprm.source).toMatch(/90 FR 898 \(2025-01-06\)/);
    for (const c of nprm.controls) expect(c.ref).toMatch(/^proposed §164\.3(08|12)\(/);
    expect(CATALOGUE.find((f) => f.id === 'hph-cpg')!.title).toMatch(/voluntary/);
    for (const c of controlsOf('fda')) {
      expect(['FDA SC 2013', 'Program']).toContain(c.ref);
      expect(c.group).toBe(c.ref === 'Program' ? 'program' : 'safety-communication');
    }
    for (const c of controlsOf('hph-cpg')) expect(c.ref).toMatch(/^(Essential|Enhanced): /);
  });

  it('has the FDA practices, the NPRM schedules, 10 + 10 HPH CPGs and all six CSF functions', () => {
    expect(CATALOGUE.find((f) => f.id === 'fda')!.controls.map((c) => c.title)).toEqual([
      'Restrict unauthorized access',
      'Firewalls kept up to date',
      'Network activity monitored',
      'Unnecessary ports and services disabled',
      'Encryption in transit',
      'Password measures',
      'Regular updates',
      'Staff training',
      'Security officer designated',
      'Manufacturer subscriptions',
    ]);
    const nprm = CATALOGUE.find((f) => f.id === 'hhs-nprm')!.controls;
    expect(nprm.find((c) => c.id === 'nprm-vulnerability-scanning')!.evidence).toEqual([
      'vulnerability-scanning',
    ]);
    expect(nprm.find((c) => c.id === 'nprm-penetration-testing')!.evidence).toEqual(['penetration-testing']);
    const cpg = CATALOGUE.find((f) => f.id === 'hph-cpg')!.controls;
    expect(cpg.filter((c) => c.group === 'essential')).toHaveLength(10);
    expect(cpg.filter((c) => c.group === 'enhanced')).toHaveLength(10);
    expect(new Set(CATALOGUE.find((f) => f.id === 'nist-csf')!.controls.map((c) => c.group))).toEqual(
      new Set(['GV', 'ID', 'PR', 'DE', 'RS', 'RC']),
    );
    expect(refs('nist-csf')).toEqual(expect.arrayContaining(['ID.AM', 'PR.AT', 'DE.CM', 'RS.MA']));
    // CSF 2.0 ID.AM-08: sanitize data storage when hardware is retired, as HIPAA §164.310(d) asks.
    const am = CATALOGUE.find((f) => f.id === 'nist-csf')!.controls.find((c) => c.id === 'csf-ID.AM')!;
    expect(am.evidence).toContain('device-disposal');
  });

  it('selects frameworks', () => {
    expect(frameworksOf(['hipaa', 'nist-csf']).map((f) => f.id)).toEqual(['hipaa', 'nist-csf']);
    expect(frameworksOf()).toHaveLength(5);
  });
});
