import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedJson } from '../nvd/json-mutation.js';
import { cvss3BaseScore } from './cvss3.js';
import { readOsv } from './osv.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/feeds/osv/${name}`, import.meta.url), 'utf8');
const ghsa: unknown = JSON.parse(fixture('ghsa-npm.json'));
const pypi: unknown = JSON.parse(fixture('pypi-ecosystem-git.json'));

describe('readOsv', () => {
  it('files a GHSA record under its CVE alias and converts SEMVER ranges', () => {
    const { records, issues } = readOsv(ghsa, 'ghsa.json');
    expect(issues).toEqual([]);
    const r = records[0]!;
    expect(r.id).toBe('CVE-2021-23337');
    expect(r.aliases).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(r.source).toBe('osv');
    expect(r.title).toBe('Command Injection in lodash');
    expect(r.cwes).toEqual(['CWE-77', 'CWE-94']);
    expect(r.cvss).toEqual([
      {
        version: '3.1',
        vectorString: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H',
        baseScore: 7.2,
        baseSeverity: 'HIGH',
        source: null,
        type: null,
      },
    ]);
    expect(r.affected[0]).toEqual({
      vendor: null,
      product: 'lodash',
      purl: 'pkg:npm/lodash',
      ecosystem: 'npm',
      cpes: [],
      defaultStatus: 'unaffected',
      versions: [
        {
          version: '0',
          status: 'affected',
          lessThan: '4.17.21',
          lessThanOrEqual: null,
          versionType: 'semver',
          changes: [],
        },
      ],
      platforms: [],
    });
    // No purl in the record: built from ecosystem + scoped name.
    expect(r.affected[1]!.purl).toBe('pkg:npm/%40example/lodash-template');
    expect(r.affected[1]!.versions[0]).toMatchObject({
      version: '1.0.0',
      lessThan: null,
      lessThanOrEqual: '1.2.3',
    });
    expect(r.references).toHaveLength(2);
  });

  it('reads ECOSYSTEM, GIT and explicit versions; open ranges end at "*"', () => {
    const { records, issues } = readOsv(pypi, 'pypi.json');
    const [pysec, gitOnly] = records as [(typeof records)[0], (typeof records)[0]];
    expect(pysec.id).toBe('CVE-2099-1234');
    expect(pysec.aliases).toEqual(['PYSEC-2099-1', 'GHSA-xxxx-xxxx-xxxx']);
    const a = pysec.affected[0]!;
    expect(a.purl).toBe('pkg:pypi/example-pkg');
    expect(a.ecosystem).toBe('PyPI');
    expect(a.versions.map((v) => [v.version, v.lessThan, v.lessThanOrEqual, v.versionType])).toEqual([
      ['1.0', '1.4.3', null, 'ecosystem'],
      ['2.0', null, '*', 'ecosystem'],
      ['0', '0123456789abcdef0123456789abcdef01234567', null, 'git'],
      ['1.0', null, null, 'ecosystem'],
      ['1.4.2', null, null, 'ecosystem'],
      ['2.0', null, null, 'ecosystem'],
      ['2.1', null, null, 'ecosystem'],
    ]);
    // The v4 vector has no score in OSV: kept out, and said so.
    expect(pysec.cvss).toEqual([]);
    expect(issues).toEqual([
      { file: 'pypi.json', where: '$[0].severity[0]', message: expect.stringContaining('CVSS_V4') },
    ]);
    expect(gitOnly.id).toBe('OSV-2099-2');
    expect(gitOnly.status).toBe('WITHDRAWN');
    expect(gitOnly.affected[0]).toMatchObject({
      product: 'https://git.example.org/firmware.git',
      purl: null,
      ecosystem: null,
      defaultStatus: 'unknown',
    });
    expect(gitOnly.affected[0]!.versions[0]!.lessThan).toBe('1111111111111111111111111111111111111111');
  });

  it('accepts an OSV API {"vulns": […]} response', () => {
    expect(readOsv({ vulns: pypi }, 'x').records.map((r) => r.path)).toEqual(['$.vulns[0]', '$.vulns[1]']);
  });

  it('builds purls for the common ecosystems', () => {
    const rec = (ecosystem: string, name: string) =>
      readOsv({ id: 'OSV-1', modified: 'x', affected: [{ package: { ecosystem, name } }] }, 'x').records[0]!
        .affected[0]!.purl;
    expect(rec('Maven', 'org.apache.logging.log4j:log4j-core')).toBe(
      'pkg:maven/org.apache.logging.log4j/log4j-core',
    );
    expect(rec('Go', 'github.com/gin-gonic/gin')).toBe('pkg:golang/github.com/gin-gonic/gin');
    expect(rec('crates.io', 'openssl')).toBe('pkg:cargo/openssl');
    expect(rec('NuGet', 'Newtonsoft.Json')).toBe('pkg:nuget/Newtonsoft.Json');
    expect(rec('RubyGems', 'rails')).toBe('pkg:gem/rails');
    expect(rec('Debian:11', 'openssl')).toBe('pkg:deb/debian/openssl?distro=debian-11');
    expect(rec('Alpine:v3.16', 'openssl')).toBe('pkg:apk/alpine/openssl?distro=v3.16');
    expect(rec('Hackage', 'aeson')).toBeNull();
  });

  it('reports bad parts with their path and keeps the rest', () => {
    const doc = structuredClone(pypi) as Record<string, unknown>[];
    doc.unshift({ id: 'CVE-99-1', modified: 'x' }, { modified: 'x' });
    (doc[2]!.affected as { ranges: { events: unknown[] }[] }[])[0]!.ranges[0]!.events.unshift({
      fixed: '0.9',
    });
    const { records, issues } = readOsv(doc, 'x.json');
    expect(records.map((r) => r.id)).toEqual(['CVE-2099-1234', 'OSV-2099-2']);
    expect(issues.map((i) => i.where)).toEqual([
      '$[0].id',
      '$[1].id',
      '$[2].severity[0]',
      '$[2].affected[0].ranges[0].events[0]',
    ]);
  });
});

describe('cvss3BaseScore', () => {
  it('agrees with published, independently checked scores (oracle sample from shared data 03)', () => {
    const rows = fixture('cvss3-oracle-sample.csv').trim().split(/\r?\n/).slice(1);
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows) {
      const [, , version, vector, score, severity] = row.split(',');
      expect(cvss3BaseScore(vector!), vector).toEqual({ version, baseScore: Number(score), severity });
    }
  });
  it('rejects incomplete or malformed vectors', () => {
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toBeNull();
    expect(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeNull();
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeNull();
    expect(cvss3BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeNull();
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H')?.baseScore).toBe(10);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')?.baseScore).toBe(0);
  });
});

describe('readOsv never throws', () => {
  const check = (input: unknown) => {
    const r = readOsv(input, 'f');
    expect(Array.isArray(r.records) && Array.isArray(r.issues)).toBe(true);
    const emptyList = Array.isArray(input) ? input.length === 0 : false;
    if (
      !emptyList &&
      !(Array.isArray((input as { vulns?: unknown })?.vulns) && (input as { vulns: [] }).vulns.length === 0)
    ) {
      expect(r.records.length + r.issues.length).toBeGreaterThan(0);
    }
  };
  it('on arbitrary JSON', () => fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 300 }));
  it('on mutated samples', () =>
    fc.assert(fc.property(fc.oneof(mutatedJson(ghsa), mutatedJson(pypi)), check), { numRuns: 400 }));
  it('cvss3BaseScore on arbitrary strings', () =>
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = cvss3BaseScore(`CVSS:3.1/${s}`);
        if (r) expect(r.baseScore).toBeGreaterThanOrEqual(0);
      }),
    ));
});
