/**
 * Rule `service-cpe` on a real nmap scan and real NVD records (`advisories/service-cpe`, see its
 * PROVENANCE.md). nmap 7.93 reported the SSH service of 10.20.0.30 as `cpe:/a:openbsd:openssh:9.2p1` plus
 * `cpe:/o:linux:linux_kernel` (no version: it only read "Linux" from the banner), and its TLS services as
 * `cpe:/a:openssl:openssl` (no version). Expected results, from reading the records:
 * - as scanned: nothing. OpenSSH 9.2p1 is past CVE-2020-15778 (`< 8.3`, `8.3`); the version-less kernel
 *   and OpenSSL CPEs cannot be placed in any of the records' version ranges or lists.
 * - the same scan of an older host (the SSH CPE's version changed to 7.4, the kernel's to 5.4): CVE-2020-15778
 *   affected and decided, with a fix (the bound `< 8.3`); CVE-2020-9391 names kernel `5.4` exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import { parseNmapXml } from '../discovery/nmap-xml.js';
import type { VigilDatabase } from '../store/database.js';

const FIX = join(import.meta.dirname, '../../test/fixtures');
const SCAN = readFileSync(join(FIX, 'nmap/sgh-medical-lan.xml'), 'utf8');
const NVD = join(FIX, 'advisories/service-cpe/linux-openssl-openssh.nvd.jsonl');

async function matchesAfter(vdb: VigilDatabase, xml: string) {
  await applySourceResult(vdb, cliActor, parseNmapXml(xml, { file: 'scan.xml' }), {
    kind: 'nmap',
    file: 'scan.xml',
  });
  const r = await importAdvisoryPaths(vdb, cliActor, [NVD]);
  expect(r.files.map((f) => f.status)).toEqual(['imported']);
  return vdb.db
    .selectFrom('vulnerability_matches as m')
    .innerJoin('match_answers as a', 'a.fingerprint', 'm.fingerprint')
    .select(['m.vuln_key', 'm.status', 'm.candidate', 'a.fix_available', 'a.explanation'])
    .orderBy('m.vuln_key')
    .execute();
}

for (const dialect of DIALECTS)
  describe(`service-cpe on an nmap scan (${dialect})`, () => {
    let vdb: VigilDatabase | undefined;
    afterEach(async () => {
      await vdb?.close();
      vdb = undefined;
    });

    it('makes no candidate from a CPE without a version (linux_kernel, openssl)', async () => {
      vdb = await freshDatabase(dialect);
      expect(SCAN).toContain('<cpe>cpe:/o:linux:linux_kernel</cpe>');
      expect(await matchesAfter(vdb, SCAN)).toEqual([]);
    });

    it('still matches a scanner CPE that has a version, decided', async () => {
      vdb = await freshDatabase(dialect);
      const older = SCAN.replace('cpe:/a:openbsd:openssh:9.2p1', 'cpe:/a:openbsd:openssh:7.4').replace(
        '<cpe>cpe:/o:linux:linux_kernel</cpe>',
        '<cpe>cpe:/o:linux:linux_kernel:5.4</cpe>',
      );
      const rows = await matchesAfter(vdb, older);
      const byCve = new Map(rows.map((r) => [r.vuln_key, r]));
      expect(byCve.get('CVE-2020-15778')).toMatchObject({ status: 'affected' });
      expect(Boolean(byCve.get('CVE-2020-15778')?.candidate)).toBe(false);
      expect(Boolean(byCve.get('CVE-2020-15778')?.fix_available)).toBe(true);
      expect(byCve.get('CVE-2020-9391')).toMatchObject({ status: 'affected' });
      expect(Boolean(byCve.get('CVE-2020-9391')?.candidate)).toBe(false);
      // The version-less OpenSSL CPEs still meet nothing.
      expect(byCve.has('CVE-2014-3566')).toBe(false);
    });
  });
