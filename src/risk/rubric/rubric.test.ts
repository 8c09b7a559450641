/**
 * The rubric answers → environmental metrics. The vectors are real: CVE-2017-12712 (Abbott pacemakers,
 * ICSMA-17-241-01, CVSS 3.0 AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H), CVE-2024-40711 (Veeam, CVSS 3.0
 * AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H) and a CVSS 4.0 vector from the FIRST examples. Expected vectors
 * were worked out by hand from the rules in rubric.ts; scores come from the CVSS calculator, which is
 * checked against NVD elsewhere (cvss.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCvssVector, scoreCvss } from '../cvss/index.js';
import { environmentalCvss } from '../environmental.js';
import { RUBRIC_QUESTIONS } from './questions.js';
import { checkRubricAnswers, type ModelRubric, rubricAttackVector, rubricMetrics } from './rubric.js';

const V3_NETWORK = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V3_PACEMAKER = 'CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function rubric(answers: Record<string, string>): ModelRubric {
  return {
    modelId: 'm1',
    modelName: 'Abbott Merlin PCS',
    answers,
    notes: null,
    answeredBy: 'ce.jones',
    answeredAt: '2026-11-29T08:00:00.000Z',
  };
}

function base(vector: string): Record<string, string> {
  const p = parseCvssVector(vector);
  if (!p.ok) throw new Error(p.message);
  return p.metrics;
}

describe('rubric questionnaire', () => {
  it('has the rubric question ids, unique, each with options', () => {
    const ids = RUBRIC_QUESTIONS.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'XAVN',
      'XAVW',
      'XAVR',
      'XACL',
      'XPRL',
      'XPRZ',
      'XUI',
      'XS',
      'XCP',
      'XID',
      'XAT',
      'XAW',
    ])
      expect(ids).toContain(id);
    // C, I and A for each of the four data classes the issue names.
    expect(RUBRIC_QUESTIONS.filter((q) => q.group === 'impact')).toHaveLength(12);
    for (const q of RUBRIC_QUESTIONS) expect(q.options.length).toBeGreaterThan(1);
  });

  it('reports unknown questions and values outside the options, all together', () => {
    expect(checkRubricAnswers({ XAVN: 'yes', XCP: 'high' })).toEqual([]);
    const issues = checkRubricAnswers({ XAVN: 'maybe', NOPE: 'yes', XCP: 'extreme' });
    expect(issues.map((i) => i.question).sort()).toEqual(['NOPE', 'XAVN', 'XCP']);
    expect(issues.find((i) => i.question === 'XAVN')!.reason).toBe('must be one of yes, no');
  });

  it('derives the attack vector from the first yes, and nothing from incomplete answers', () => {
    expect(rubricAttackVector({ XAVN: 'yes' })!.av).toBe('N');
    expect(rubricAttackVector({ XAVN: 'no', XAVW: 'yes' })!.av).toBe('A');
    expect(rubricAttackVector({ XAVN: 'no', XAVW: 'no', XAVR: 'yes' })!.av).toBe('L');
    expect(rubricAttackVector({ XAVN: 'no', XAVW: 'no', XAVR: 'no' })!.av).toBe('P');
    expect(rubricAttackVector({ XAVN: 'no' })).toBeNull();
    expect(rubricAttackVector({})).toBeNull();
  });
});

describe('rubric → environmental metrics', () => {
  const programmer = rubric({
    XAVN: 'no',
    XAVW: 'yes',
    XACL: 'no',
    XPRL: 'operator',
    XPRZ: 'yes',
    XUI: 'no',
    XS: 'yes',
    XCP: 'high',
    XIP: 'low',
    XAP: 'low',
    XCT: 'low',
    XIT: 'high',
    XAT: 'high',
  });

  it('lowers the attack vector, keeps a shared login as no privilege, sets requirements and scope', () => {
    const r = rubricMetrics(programmer, '3.0', base(V3_NETWORK));
    expect(r.metrics).toEqual({ CR: 'H', IR: 'H', AR: 'H', MAV: 'A', MS: 'C' });
    const mav = r.evidence.find((e) => e.point === 'MAV')!;
    expect(mav.source).toBe('rubric');
    expect(mav.because).toContain('XAVW');
    expect(mav.because).toContain('published AV:N');
    expect(mav.because).toContain('ce.jones 2026-11-29');
    // XPRZ yes: the operator login is shared, so no privilege is required — nothing to raise.
    expect(r.metrics['MPR']).toBeUndefined();
  });

  it('never makes an attack easier than the published vector', () => {
    const remote = rubric({ XAVN: 'yes', XPRL: 'none', XUI: 'no', XACL: 'no' });
    expect(rubricMetrics(remote, '3.0', base(V3_PACEMAKER)).metrics).toEqual({});
  });

  it('raises privileges and user interaction when the model requires them', () => {
    const r = rubricMetrics(
      rubric({ XPRL: 'privileged', XPRZ: 'no', XUI: 'yes', XACL: 'yes' }),
      '3.1',
      base(V3_NETWORK),
    );
    expect(r.metrics).toEqual({ MPR: 'H', MUI: 'R', MAC: 'H' });
  });

  it('CVSS 4.0: Safety for patient harm, MSI/MSA:S where the flaw has that impact, passive interaction', () => {
    const r = rubricMetrics(rubric({ XIT: 'high', XAD: 'high', XUI: 'yes' }), '4.0', base(V4));
    expect(r.metrics).toEqual({ IR: 'H', AR: 'H', MUI: 'P', S: 'P', MSI: 'S', MSA: 'S' });
    // A flaw with no availability impact anywhere gets no MSA:S.
    const noA = rubricMetrics(
      rubric({ XIT: 'high', XAT: 'high' }),
      '4.0',
      base('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N'),
    );
    expect(noA.metrics['MSI']).toBe('S');
    expect(noA.metrics['MSA']).toBeUndefined();
  });

  it('CVSS 2.0 takes the requirements only', () => {
    const r = rubricMetrics(programmer, '2.0', base('AV:N/AC:L/Au:N/C:C/I:C/A:C'));
    expect(Object.keys(r.metrics).sort()).toEqual(['AR', 'CR', 'IR']);
  });

  it('in the device environment: the answers replace the inventory defaults and change the score', () => {
    const without = environmentalCvss({
      vector: V3_NETWORK,
      baseScore: 9.8,
      criticality: 'diagnostic',
      ephi: false,
      exposure: 'controlled',
    });
    const withRubric = environmentalCvss({
      vector: V3_NETWORK,
      baseScore: 9.8,
      criticality: 'diagnostic',
      ephi: false,
      exposure: 'controlled',
      rubric: programmer,
    });
    expect(without.vector).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:M/AR:M');
    expect(withRubric.vector).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H/MAV:A/MS:C');
    const expected = scoreCvss(withRubric.vector!);
    expect(expected.ok && expected.score.environmentalScore).toBe(withRubric.environmental);
    expect(withRubric.environmental).not.toBe(without.environmental);
    // The justification names the answers; the inventory lines they replaced are gone.
    expect(withRubric.evidence.filter((e) => e.source === 'rubric').map((e) => e.point)).toEqual([
      'CR',
      'IR',
      'AR',
      'MAV',
      'MS',
    ]);
    expect(withRubric.evidence.some((e) => e.point === 'IR/AR')).toBe(false);
  });

  it('any answers on any published vector give a vector that parses and scores', () => {
    const answer = fc.record(
      Object.fromEntries(
        RUBRIC_QUESTIONS.map((q) => [
          q.id,
          fc.option(fc.constantFrom(...q.options.map((o) => o.value)), { nil: undefined }),
        ]),
      ),
    );
    const vectors = fc.constantFrom(
      V3_NETWORK,
      V3_PACEMAKER,
      V4,
      'CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:L/A:N',
    );
    fc.assert(
      fc.property(answer, vectors, fc.constantFrom('small', 'controlled', 'open'), (a, v, exposure) => {
        const answers = Object.fromEntries(Object.entries(a).filter(([, x]) => x !== undefined)) as Record<
          string,
          string
        >;
        const env = environmentalCvss({
          vector: v,
          baseScore: null,
          criticality: 'life-sustaining',
          ephi: true,
          exposure: exposure as 'small',
          rubric: rubric(answers),
        });
        expect(env.error).toBeUndefined();
        const s = scoreCvss(env.vector!);
        expect(s.ok).toBe(true);
        expect(env.environmental).toBeGreaterThanOrEqual(0);
        expect(env.environmental).toBeLessThanOrEqual(10);
      }),
      { numRuns: 300 },
    );
  });
});
