/**
 * The priority policy on top of the SSVC deployer table: the patient-safety floor and the rank order.
 * Inputs are built with the evidence functions from a device's recorded facts, as the queue does.
 */
import { describe, expect, it } from 'vitest';
import { evidence } from './evidence.js';
import { exploitationEvidence } from './exploitation.js';
import { humanImpactEvidence } from './human-impact.js';
import { type PriorityInput, prioritize } from './priority.js';

function input(
  criticality: 'life-sustaining' | 'non-clinical',
  kev: false | 'Known' | 'Unknown',
): PriorityInput {
  return {
    exploitation: exploitationEvidence({
      cve: 'CVE-2017-12712',
      kev: kev ? { dateAdded: '2024-10-17', dueDate: '2024-11-07', knownRansomwareCampaignUse: kev } : false,
      epss: null,
      ssvc: null,
    }),
    exposure: evidence('exposure', 'controlled', 'network', 'internal segment'),
    automatable: evidence('automatable', 'no', 'cvss', 'adjacent network, high complexity'),
    human: humanImpactEvidence({ criticality, ephi: true, deviceClass: 'other-medical' }),
    technicalImpact: evidence('technicalImpact', 'total', 'cvss', 'C/I/A high'),
    overrides: [],
    environmentalScore: 7.5,
    epss: null,
    since: '2026-01-01T00:00:00.000Z',
    now: new Date('2026-01-02T00:00:00Z'),
  };
}

describe('prioritize', () => {
  it('raises a Very High human impact to at least out-of-cycle and says why', () => {
    const p = prioritize(input('life-sustaining', false));
    expect(p.decision).toBe('out-of-cycle');
    expect(p.evidence.find((e) => e.point === 'decision')?.because).toContain(
      'the table says scheduled, raised to out-of-cycle by the patient-safety floor',
    );
    expect(p.due).toBe('2026-01-15T00:00:00.000Z');
  });

  it('follows the table alone when the hospital switches the floor off', () => {
    const p = prioritize({ ...input('life-sustaining', false), policy: { safetyFloor: false } });
    expect(p.decision).toBe('scheduled');
    expect(p.evidence.find((e) => e.point === 'decision')?.because).not.toContain('patient-safety floor');
  });

  // Expected decisions read off the official deployer table (`vigil ssvc decide --tree deployer …`):
  // E=N EXP=C A=N SI=N MI=MSC → Defer; E=A EXP=C A=N SI=N MI=MSC → Scheduled; E=N EXP=C A=N SI=C MI=MEF → Scheduled.
  it('leaves other devices to the table', () => {
    const printer = prioritize(input('non-clinical', false));
    expect(printer.decision).toBe('defer');
    expect(prioritize(input('non-clinical', 'Unknown')).decision).toBe('scheduled');
  });

  it("escalates KEV's known ransomware campaign use by one level and says why", () => {
    const p = prioritize(input('non-clinical', 'Known'));
    expect(p.decision).toBe('out-of-cycle');
    expect(p.evidence.find((e) => e.point === 'decision')?.because).toContain(
      'the table says scheduled, raised to out-of-cycle by known ransomware campaign use (KEV)',
    );
  });

  it('ranks patient harm before known exploitation within one decision', () => {
    const kevPrinter = prioritize(input('non-clinical', 'Unknown'));
    const pacemaker = prioritize({ ...input('life-sustaining', false), policy: { safetyFloor: false } });
    expect([kevPrinter.decision, pacemaker.decision]).toEqual(['scheduled', 'scheduled']);
    expect(pacemaker.score).toBeGreaterThan(kevPrinter.score);
  });
});
