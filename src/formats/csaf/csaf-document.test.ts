import { describe, expect, it } from 'vitest';
import { jsonPath, parseCsafDocument } from './csaf-document.js';
import { CSAF_FIXTURE_FILES, csafDocumentFactory, loadCsafFixture } from './csaf-test-factories.js';

describe('parseCsafDocument', () => {
  it.each(CSAF_FIXTURE_FILES)('accepts the real advisory %s', (name) => {
    const r = parseCsafDocument(loadCsafFixture(name), name);
    expect(r.ok ? [] : r.issues).toEqual([]);
  });

  it('accepts the factory document and keeps unknown keys (CSAF allows extensions)', () => {
    const json = csafDocumentFactory();
    (json.document as Record<string, unknown>).x_vendor = { a: 1 };
    const r = parseCsafDocument(json, 'f.json');
    expect(r.ok).toBe(true);
    if (r.ok) expect((r.doc.document as Record<string, unknown>).x_vendor).toEqual({ a: 1 });
  });

  it('reports a missing tracking id with its JSON path and file', () => {
    const json = csafDocumentFactory();
    const doc = json.document as { tracking: Record<string, unknown> };
    delete doc.tracking.id;
    const r = parseCsafDocument(json, 'a.json');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues).toEqual([
        { file: 'a.json', path: '$.document.tracking.id', reason: expect.any(String) },
      ]);
  });

  it('reports a bad branch category deep in the tree', () => {
    const json = csafDocumentFactory();
    const tree = json.product_tree as { branches: { branches: { branches: { category: string }[] }[] }[] };
    tree.branches[0]!.branches[0]!.branches[1]!.category = 'firmware';
    const r = parseCsafDocument(json, 'b.json');
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([
      '$.product_tree.branches[0].branches[0].branches[1].category',
    ]);
  });

  it('reports every problem at once, not just the first', () => {
    const json = csafDocumentFactory();
    (json.document as Record<string, unknown>).csaf_version = '2.1';
    (json.vulnerabilities as Record<string, unknown>[])[0]!.cve = 'CVE-24-1';
    (json.vulnerabilities as { remediations: Record<string, unknown>[] }[])[0]!.remediations[0]!.category =
      'patch';
    const r = parseCsafDocument(json, 'c.json');
    expect(r.ok ? [] : r.issues.map((i) => i.path).sort()).toEqual([
      '$.document.csaf_version',
      '$.vulnerabilities[0].cve',
      '$.vulnerabilities[0].remediations[0].category',
    ]);
  });

  it('rejects a score outside 0-10 and a non-object root without throwing', () => {
    const json = csafDocumentFactory();
    const score = (json.vulnerabilities as { scores: { cvss_v3: { baseScore: number } }[] }[])[0]!.scores[0]!;
    score.cvss_v3.baseScore = 11;
    const r = parseCsafDocument(json, 'd.json');
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([
      '$.vulnerabilities[0].scores[0].cvss_v3.baseScore',
    ]);
    for (const bad of [null, 42, 'csaf', [], undefined]) {
      const r2 = parseCsafDocument(bad, 'e.json');
      expect(r2.ok).toBe(false);
      if (!r2.ok) expect(r2.issues[0]?.path).toBe('$');
    }
  });

  it('reports a throwing getter as an issue instead of throwing', () => {
    const hostile = {
      get document(): never {
        throw new Error('boom');
      },
    };
    const r = parseCsafDocument(hostile, 'h.json');
    expect(r.ok).toBe(false);
  });
});

describe('jsonPath', () => {
  it('writes identifiers with dots, indices in brackets, other keys quoted', () => {
    expect(jsonPath(['a', 0, 'b c', 'd'])).toBe('$.a[0]["b c"].d');
    expect(jsonPath([])).toBe('$');
  });
});
