/**
 * The default fix of a remediation task lists every remediation the advisory gives, the vendor fix
 * first, bounded in length. Real CISA advisories (test/fixtures/advisories/csaf, PROVENANCE.md):
 * ICSMA-24-151-01 (Baxter Welch Allyn Product Configuration Tool `<=1.9.4.1`, CVE-2024-5176) gives a
 * mitigation first, then its vendor_fix, then four more mitigations; the six fixtures together give
 * more remediation text than a task's default fix holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { addDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { FIX_TEXT_MAX, type Remediation, taskFixText } from './task-fix.js';
import { createTask } from './tasks-service.js';

const CSAF_DIR = join(import.meta.dirname, '../../test/fixtures/advisories/csaf');
const BAXTER = join(CSAF_DIR, 'icsma-24-151-01.json');
const CVE = 'CVE-2024-5176';

interface CsafDocument {
  vulnerabilities: { cve?: string; remediations?: { category: string; details: string; url?: string }[] }[];
}
const remediationsOf = (file: string): Remediation[] =>
  (JSON.parse(readFileSync(file, 'utf8')) as CsafDocument).vulnerabilities.flatMap((v) =>
    (v.remediations ?? []).map((r) => ({ category: r.category, details: r.details, url: r.url ?? null })),
  );

describe('taskFixText', () => {
  it('lists every remediation, the vendor fix before the mitigations, each in the advisory order', () => {
    const rems = remediationsOf(BAXTER);
    const lines = taskFixText(rems)!.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      'vendor_fix: Welch Allyn Product Configuration Tool versions 1.9.4.2: Available Q3 2024',
    );
    expect(lines.slice(1)).toEqual(
      rems.filter((r) => r.category === 'mitigation').map((r) => `mitigation: ${r.details}`),
    );
  });

  it('lists a remediation the advisory repeats for several vulnerabilities once', () => {
    // ICSMA-17-241-01 gives the same mitigation for each of its three CVEs.
    const rems = remediationsOf(join(CSAF_DIR, 'icsma-17-241-01.json'));
    expect(rems).toHaveLength(3);
    expect(taskFixText(rems)!.split('\n')).toHaveLength(1);
  });

  it(`is at most ${FIX_TEXT_MAX} characters, whole lines, and says how many were left out`, () => {
    const rems = readdirSync(CSAF_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => remediationsOf(join(CSAF_DIR, f)));
    const all = taskFixText(rems, 100_000)!.split('\n');
    expect(all.join('\n').length).toBeGreaterThan(FIX_TEXT_MAX);
    const text = taskFixText(rems)!;
    expect(text.length).toBeLessThanOrEqual(FIX_TEXT_MAX);
    const lines = text.split('\n');
    const shown = lines.slice(0, -1);
    expect(shown).toEqual(all.slice(0, shown.length));
    expect(lines.at(-1)).toBe(`…and ${all.length - shown.length} more`);
    expect(shown[0]).toMatch(/^vendor_fix: /);
  });

  it('cuts a single remediation longer than the bound, and gives none for no remediation', () => {
    const [mitigation] = remediationsOf(join(CSAF_DIR, 'icsma-17-241-01.json'));
    const text = taskFixText([mitigation!], 200)!;
    expect(text).toHaveLength(200);
    expect(text.endsWith('…')).toBe(true);
    expect(taskFixText([])).toBeNull();
  });
});

describe.each(DIALECTS)('a task for a match of ICSMA-24-151-01 on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await addDevice(vdb, cliActor, {
      assetTag: 'PCT-1',
      manufacturer: 'Baxter',
      model: 'Welch Allyn Product Configuration Tool',
      softwareVersion: '1.9.4.1',
    });
    const r = await importAdvisoryPaths(vdb, cliActor, [BAXTER]);
    expect(r.files.map((f) => f.status)).toEqual(['imported']);
  });
  afterAll(async () => vdb?.close());

  it("defaults its fix to all the advisory's remediations, the vendor fix first", async () => {
    const t = await createTask(vdb, cliActor, { device: 'PCT-1', vulnerability: CVE });
    const lines = t.fix!.split('\n');
    expect(lines[0]).toBe(
      'vendor_fix: Welch Allyn Product Configuration Tool versions 1.9.4.2: Available Q3 2024',
    );
    expect(lines.filter((l) => l.startsWith('mitigation: '))).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/^mitigation: The Welch Allyn Configuration Tool has been removed/);
  });
});
