/**
 * @module Test factories for CSAF documents: a small valid advisory, shaped like the real CISA ICSMA
 * files, that tests then break in one place at a time.
 */
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../../test/fixtures/advisories/csaf/', import.meta.url);

/** The real fixture files (test/fixtures/advisories/csaf), parsed. */
export const CSAF_FIXTURE_FILES = [
  'icsma-17-241-01.json',
  'icsma-21-308-01.json',
  'icsma-23-061-01.json',
  'icsma-24-151-01.json',
  'va-24-201-01.json',
  'va-24-262-01.json',
] as const;

export function loadCsafFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;
}

/** A minimal valid security advisory: one vendor, one product, one version, one CVE. */
export function csafDocumentFactory(): Record<string, unknown> {
  return {
    document: {
      category: 'csaf_security_advisory',
      csaf_version: '2.0',
      title: 'Example Infusion Pump',
      publisher: { category: 'coordinator', name: 'CISA', namespace: 'https://www.cisa.gov/' },
      tracking: {
        id: 'icsma-99-001-01',
        version: '1',
        status: 'final',
        initial_release_date: '2024-01-01T00:00:00Z',
        current_release_date: '2024-01-01T00:00:00Z',
        revision_history: [{ date: '2024-01-01T00:00:00Z', number: '1', summary: 'Initial' }],
      },
    },
    product_tree: {
      branches: [
        {
          category: 'vendor',
          name: 'Example Medical',
          branches: [
            {
              category: 'product_name',
              name: 'Pump 8000',
              branches: [
                {
                  category: 'product_version',
                  name: '1.0',
                  product: { name: 'Pump 8000 1.0', product_id: 'P1' },
                },
                {
                  category: 'product_version',
                  name: '2.0',
                  product: { name: 'Pump 8000 2.0', product_id: 'P2' },
                },
              ],
            },
          ],
        },
      ],
    },
    vulnerabilities: [
      {
        cve: 'CVE-2024-0001',
        product_status: { known_affected: ['P1'], fixed: ['P2'] },
        remediations: [{ category: 'vendor_fix', details: 'Update to 2.0', product_ids: ['P1'] }],
        scores: [
          {
            products: ['P1'],
            cvss_v3: {
              version: '3.1',
              vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
              baseScore: 9.8,
            },
          },
        ],
      },
    ],
  };
}
