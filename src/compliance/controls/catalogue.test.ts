/**
 * The control catalogue as data: ids unique, every evidence kind known and collected, and the
 * framework references the brief and the sources name (HIPAA paragraphs, the NPRM schedules, the
 * HPH CPG tiers, the six CSF 2.0 functions) present, written out here rather than derived.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUE, EVIDENCE_KINDS, FRAMEWORK_IDS, frameworksOf } from './index.js';

const refs = (id: string) => CATALOGUE.find((f) => f.id === id)!.controls.map((c) => c.ref);

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
        '§164.308(a)(5)',
        '§164.308(a)(6)',
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
