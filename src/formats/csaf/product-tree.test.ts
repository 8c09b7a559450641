import { describe, expect, it } from 'vitest';
import { readCsafAdvisory } from './csaf-advisory.js';
import { parseCsafDocument } from './csaf-document.js';
import { csafDocumentFactory } from './csaf-test-factories.js';
import { flattenProductTree, trimName } from './product-tree.js';

/** Tests edit deep paths of the factory document; typing each level would hide what is being changed. */
// biome-ignore lint/suspicious/noExplicitAny: free-form JSON edited in place by the tests below
type Json = Record<string, any>;

function flatten(json: unknown) {
  const parsed = parseCsafDocument(json, 't.json');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return flattenProductTree(parsed.doc, 't.json');
}

describe('flattenProductTree', () => {
  it('flattens vendor → product_name → product_version with the branch path', () => {
    const sut = flatten(csafDocumentFactory());
    expect(sut.issues).toEqual([]);
    expect(sut.products.map((p) => [p.productId, p.vendor, p.productName, p.version, p.via])).toEqual([
      ['P1', 'Example Medical', 'Pump 8000', '1.0', ['Example Medical', 'Pump 8000', '1.0']],
      ['P2', 'Example Medical', 'Pump 8000', '2.0', ['Example Medical', 'Pump 8000', '2.0']],
    ]);
  });

  it('keeps product_family, other branch categories and identification helpers', () => {
    const json: Json = csafDocumentFactory();
    json.product_tree.branches[0].branches = [
      {
        category: 'product_family',
        name: 'Pumps',
        branches: [
          {
            category: 'product_name',
            name: ' Pump  8000 ',
            branches: [
              {
                category: 'architecture',
                name: 'arm',
                branches: [
                  {
                    category: 'product_version_range',
                    name: 'vers:generic/<2.0',
                    product: {
                      name: 'Pump 8000 < 2.0 (arm)',
                      product_id: 'P1',
                      product_identification_helper: {
                        model_numbers: ['8000-A'],
                        skus: ['SKU1'],
                        serial_numbers: ['SN*'],
                        cpe: 'cpe:2.3:h:example:pump_8000:-:*:*:*:*:*:*:*',
                        purl: 'pkg:generic/example/pump@1.0',
                        x_generic_uris: [{ namespace: 'https://gudid.example/', uri: 'udi:123' }],
                      },
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ];
    json.product_tree.full_product_names = [{ name: 'Pump 8000 2.0', product_id: 'P2' }];
    const sut = flatten(json);
    expect(sut.issues).toEqual([]);
    const p1 = sut.byId.get('P1');
    expect(p1).toMatchObject({
      productFamily: 'Pumps',
      productName: ' Pump  8000 ',
      version: null,
      versionRange: 'vers:generic/<2.0',
      otherBranches: [{ category: 'architecture', name: 'arm' }],
      trimmed: { productName: 'Pump 8000', productFamily: 'Pumps' },
    });
    expect(p1?.helpers?.model_numbers).toEqual(['8000-A']);
    expect(p1?.helpers?.x_generic_uris?.[0]?.uri).toBe('udi:123');
    expect(sut.byId.get('P2')).toMatchObject({ vendor: null, path: '$.product_tree.full_product_names[0]' });
  });

  it('defines relationship products and reports unknown references in them', () => {
    const json: Json = csafDocumentFactory();
    json.product_tree.relationships = [
      {
        category: 'installed_on',
        product_reference: 'P1',
        relates_to_product_reference: 'P2',
        full_product_name: { name: 'fw 1.0 on pump 2.0', product_id: 'R1' },
      },
      {
        category: 'default_component_of',
        product_reference: 'NOPE',
        relates_to_product_reference: 'P2',
        full_product_name: { name: 'x', product_id: 'R2' },
      },
    ];
    const sut = flatten(json);
    expect(sut.byId.get('R1')).toMatchObject({
      version: '1.0',
      vendor: 'Example Medical',
      relationship: { category: 'installed_on', component: 'P1', platform: 'P2' },
    });
    expect(sut.issues.map((i) => i.path)).toEqual(['$.product_tree.relationships[1].product_reference']);
  });

  it('reports duplicate product ids, unknown ids in statuses, remediations, scores and groups', () => {
    const json: Json = csafDocumentFactory();
    json.product_tree.full_product_names = [{ name: 'dup', product_id: 'P1' }];
    json.product_tree.product_groups = [{ group_id: 'G1', product_ids: ['P1', 'P9'] }];
    const v = json.vulnerabilities[0];
    v.product_status.under_investigation = ['P7'];
    v.remediations.push({ category: 'workaround', details: 'w', group_ids: ['G1', 'G404'] });
    v.scores[0].products = ['P1', 'P8'];
    const sut = flatten(json);
    expect(sut.issues.map((i) => [i.path, i.reason.replace(/ \(.*$/, '')])).toEqual([
      [
        '$.product_tree.full_product_names[0]',
        'product_id "P1" already defined at $.product_tree.branches[0].branches[0].branches[0].product',
      ],
      ['$.product_tree.product_groups[0].product_ids[1]', 'unknown product_id "P9"'],
      ['$.vulnerabilities[0].product_status.under_investigation[0]', 'unknown product_id "P7"'],
      ['$.vulnerabilities[0].remediations[1].group_ids[1]', 'unknown group_id "G404"'],
      ['$.vulnerabilities[0].scores[0].products[1]', 'unknown product_id "P8"'],
    ]);
    expect(sut.issues.every((i) => i.file === 't.json')).toBe(true);
  });

  it('reports a product that is both affected and fixed (§6.1.6), but allows recommended with fixed', () => {
    const json: Json = csafDocumentFactory();
    json.vulnerabilities[0].product_status = {
      first_affected: ['P1'],
      fixed: ['P1', 'P2'],
      recommended: ['P2'],
    };
    const sut = flatten(json);
    expect(sut.issues.map((i) => i.path)).toEqual(['$.vulnerabilities[0].product_status.fixed[0]']);
  });
});

describe('branch shape', () => {
  it('reports a branch with neither or both of product and branches', () => {
    const json: Json = csafDocumentFactory();
    const versions = json.product_tree.branches[0].branches[0].branches;
    delete versions[0].product;
    versions[1].branches = [
      { category: 'patch_level', name: 'p1', product: { name: 'x', product_id: 'P3' } },
    ];
    const sut = flatten(json);
    expect(sut.issues.map((i) => [i.path, i.reason])).toEqual([
      [
        '$.product_tree.branches[0].branches[0].branches[0]',
        'branch has neither product nor branches (CSAF 2.0 §3.1.2)',
      ],
      [
        '$.product_tree.branches[0].branches[0].branches[1]',
        'branch has both product and branches (CSAF 2.0 §3.1.2)',
      ],
      ['$.vulnerabilities[0].product_status.known_affected[0]', 'unknown product_id "P1" (CSAF 2.0 §6.1.1)'],
      ['$.vulnerabilities[0].remediations[0].product_ids[0]', 'unknown product_id "P1" (CSAF 2.0 §6.1.1)'],
      ['$.vulnerabilities[0].scores[0].products[0]', 'unknown product_id "P1" (CSAF 2.0 §6.1.1)'],
    ]);
  });
});

describe('readCsafAdvisory statuses and groups', () => {
  it('maps every product_status list and resolves group_ids in remediations', () => {
    const json: Json = csafDocumentFactory();
    json.product_tree.full_product_names = [
      { name: 'A', product_id: 'P3' },
      { name: 'B', product_id: 'P4' },
      { name: 'C', product_id: 'P5' },
      { name: 'D', product_id: 'P6' },
    ];
    json.product_tree.product_groups = [{ group_id: 'G1', product_ids: ['P1', 'P3'] }];
    json.vulnerabilities[0].product_status = {
      first_affected: ['P1'],
      last_affected: ['P3'],
      first_fixed: ['P2'],
      recommended: ['P2', 'P6'],
      known_not_affected: ['P4'],
      under_investigation: ['P5'],
    };
    json.vulnerabilities[0].remediations = [
      { category: 'vendor_fix', details: 'update', product_ids: ['P1'], group_ids: ['G1'], url: 'https://x' },
      { category: 'none_available', details: 'none', product_ids: ['P5'] },
    ];
    const r = readCsafAdvisory(json, 't.json');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.advisory.advisoryId).toBe('ICSMA-99-001-01');
    const byId = new Map(r.advisory.vulnerabilities[0]?.products.map((p) => [p.productId, p]));
    expect([...byId.values()].map((p) => [p.productId, p.status, p.recommended])).toEqual([
      ['P1', 'affected', false],
      ['P2', 'fixed', true],
      ['P4', 'not_affected', false],
      ['P3', 'affected', false],
      ['P6', 'recommended', true],
      ['P5', 'under_investigation', false],
    ]);
    // P1 is named directly and through G1: one remediation, attributed to the direct listing.
    expect(byId.get('P1')?.remediations.map((x) => x.via)).toEqual([{ productId: true }]);
    expect(byId.get('P3')?.remediations.map((x) => [x.category, x.via])).toEqual([
      ['vendor_fix', { groupId: 'G1' }],
    ]);
    expect(byId.get('P5')?.remediations.map((x) => x.category)).toEqual(['none_available']);
    expect(byId.get('P1')?.scores[0]?.baseScore).toBe(9.8);
    expect(byId.get('P2')?.scores).toEqual([]);
  });

  it('rejects the whole document when a reference is broken', () => {
    const json: Json = csafDocumentFactory();
    json.vulnerabilities[0].remediations[0].product_ids = ['P404'];
    const r = readCsafAdvisory(json, 'x.json');
    expect(r).toEqual({
      ok: false,
      issues: [
        {
          file: 'x.json',
          path: '$.vulnerabilities[0].remediations[0].product_ids[0]',
          reason: 'unknown product_id "P404" (CSAF 2.0 §6.1.1)',
        },
      ],
    });
  });
});

describe('trimName', () => {
  it('trims and collapses whitespace but keeps spelling and case', () => {
    expect(trimName('Medtronic ')).toBe('Medtronic');
    expect(trimName('  Phillips\t Healthcare ')).toBe('Phillips Healthcare');
  });
});
