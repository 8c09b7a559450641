import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listCsafTests, validateCsaf } from './csaf-validate.js';

// Real CISA ICSMA documents; see test/fixtures/csaf-provider/PROVENANCE.md.
const FIXTURES = new URL('../../../test/fixtures/csaf-provider/white/', import.meta.url);
const REAL = [
  '2017/icsma-17-082-02.json',
  '2017/icsma-17-241-01.json',
  '2018/icsma-18-240-01.json',
  '2022/icsma-22-095-01.json',
];
const load = (rel: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(rel, FIXTURES), 'utf8')) as Record<string, unknown>;

describe('validateCsaf', () => {
  it('runs the schema test and every mandatory test, nothing informative or optional', async () => {
    const tests = await listCsafTests();
    expect(tests[0]).toBe('csaf_2_0');
    expect(tests.filter((t) => t.startsWith('mandatoryTest_6_1_'))).toHaveLength(43);
    expect(tests).toHaveLength(44);
    expect(tests.slice(1, 4)).toEqual(['mandatoryTest_6_1_1', 'mandatoryTest_6_1_2', 'mandatoryTest_6_1_3']);
    expect(tests.some((t) => /informative|optional/i.test(t))).toBe(false);
  });

  it.each(REAL)('accepts the real CISA document %s', async (rel) => {
    expect(await validateCsaf(load(rel))).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it('reports schema and mandatory-test failures with JSON pointers and test ids', async () => {
    const doc = load(REAL[1]!) as {
      document: Record<string, unknown>;
      vulnerabilities: {
        scores: { cvss_v3: { baseScore: number } }[];
        product_status: { known_affected: string[] };
      }[];
    };
    delete doc.document['title'];
    doc.vulnerabilities[0]!.scores[0]!.cvss_v3.baseScore = 1.0;
    doc.vulnerabilities[0]!.product_status.known_affected.push('CSAFPID-NOPE');
    const r = await validateCsaf(doc);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      { path: '/document', message: "must have required property 'title'", test: 'csaf_2_0' },
      {
        path: '/vulnerabilities/0/product_status/known_affected/4',
        message: 'definition of product id missing',
        test: 'mandatoryTest_6_1_1',
      },
      {
        path: '/vulnerabilities/0/scores/0/cvss_v3/baseScore',
        message: 'invalid calculated value',
        test: 'mandatoryTest_6_1_9',
      },
    ]);

    const lenient = await validateCsaf(doc, { downgrade: ['mandatoryTest_6_1_9', 'mandatoryTest_6_1_1'] });
    expect(lenient.errors.map((e) => e.test)).toEqual(['csaf_2_0']);
    expect(lenient.warnings.map((e) => e.test)).toEqual(['mandatoryTest_6_1_1', 'mandatoryTest_6_1_9']);
  });

  it('never throws on garbage', async () => {
    for (const input of [
      null,
      42,
      'csaf',
      [],
      {},
      { document: {} },
      { document: null, vulnerabilities: 'x' },
    ]) {
      const r = await validateCsaf(input);
      expect(r.ok).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
    }
  });
});
