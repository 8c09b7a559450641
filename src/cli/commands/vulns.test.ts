/**
 * `vigil advisories|match|vulns|sbom|vex` end to end, on real CISA CSAF documents and the CMMS fixture
 * export: in-process (test/cli-in-process.ts, the binary's own command tree) against a temporary SQLite
 * file, and through the built binary (bin/vigil.js) where the process itself is what is tested: exit codes
 * of refused input, a closed pipe, the pure `cvss`/`ssvc` commands. Expected values come from reading the
 * documents:
 *
 * - ICSMA-21-308-01: vendor `Philips`, product `Tasy EMR HTML5`, range `<= 3.06.1803`, CVE-2021-39375
 *   and CVE-2021-39376, both known_affected, each with vendor_fix remediations.
 * - ICSMA-17-241-01: `Abbott Laboratories` (St. Jude Medical) `Assurity MRI` etc., scope `< august 28`
 *   (a manufacture date, which the inventory never records), CVE-2017-12712/-12714/-12716, mitigation only.
 * - The hospital export (test/fixtures/cmms/hospital-export.csv) names none of the products of the six
 *   CSAF fixtures (its Welch Allyn device is a Connex Spot Monitor, not the Product Configuration Tool of
 *   ICSMA-24-151-01; its Medtronic devices are CareLink, not Micro/InterStim Clinician), so three devices
 *   named as in the advisories are added: TASY-1 (3.06.1700, in range → affected), TASY-4 (no version →
 *   needs-review) and SJM-1 (date scope → needs-review). That is 2 + 2 + 3 = 7 matches.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { VULN_MATCH_FIELDS, VULN_MATCH_STATUSES } from '../../../test/factories.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const fixtures = join(root, 'test/fixtures');
const CSAF_DIR = join(fixtures, 'advisories/csaf');
const CSAF_FILES = [
  'icsma-17-241-01.json',
  'icsma-21-308-01.json',
  'icsma-23-061-01.json',
  'icsma-24-151-01.json',
  'va-24-201-01.json',
  'va-24-262-01.json',
];

interface Match {
  deviceId: string;
  assetTag: string | null;
  deviceLabel: string;
  vulnerability: string;
  advisoryIds: string[];
  cve: string | null;
  status: string;
  confidence: number;
  candidate: boolean;
  matchedBy: string[];
  explanation: string;
  fixAvailable: boolean;
  kev: unknown;
  epss: unknown;
}

let dir: string;
let db: string;

/** The command in this process: what every test here uses unless the process boundary is the point. */
function vigil(args: string[], dbFile = db) {
  return vigilInProcess(args, { db: `sqlite:${dbFile}` });
}

/** The built binary in a child process. */
function spawnVigil(args: string[], dbFile = db) {
  const r = spawnSync(process.execPath, [bin, '--db', `sqlite:${dbFile}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function ok(args: string[], dbFile = db) {
  const r = await vigil(args, dbFile);
  expect(r.code, `vigil ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

const list = async (...args: string[]) =>
  JSON.parse((await ok(['vulns', 'list', '--json', ...args])).stdout) as Match[];
const row = (m: Match) => `${m.assetTag} ${m.vulnerability} ${m.status}`;

beforeAll(async () => {
  // dist/ is built once by test/global-setup.ts.
  dir = mkdtempSync(join(tmpdir(), 'vigil-vulns-cli-'));
  db = join(dir, 'v.db');
  await ok(['db', 'migrate']);
  await ok(['devices', 'import', join(fixtures, 'cmms/hospital-export.csv')]);
  await ok([
    'devices',
    'add',
    '--asset-tag',
    'TASY-1',
    '--manufacturer',
    'Philips',
    '--model',
    'Tasy EMR HTML5',
    '--software',
    '3.06.1700',
    '--site',
    'North Clinic',
  ]);
  await ok([
    'devices',
    'add',
    '--asset-tag',
    'TASY-4',
    '--manufacturer',
    'Philips',
    '--model',
    'Tasy EMR HTML5',
  ]);
  await ok([
    'devices',
    'add',
    '--asset-tag',
    'SJM-1',
    '--manufacturer',
    'St. Jude Medical',
    '--model',
    'Assurity MRI',
    '--firmware',
    '1.0',
  ]);
}, 120_000);

describe('vigil advisories import', () => {
  it('imports the CSAF directory: one line per file, a summary and the matching line, exit 0', async () => {
    const r = await ok(['advisories', 'import', CSAF_DIR]);
    const lines = r.stdout.trimEnd().split('\n');
    for (const f of CSAF_FILES) {
      expect(lines.filter((l) => l.includes(f))).toEqual([expect.stringMatching(/^imported /)]);
    }
    expect(r.stdout).toContain('ICSMA-21-308-01 version 1: 1 product, 2 vulnerabilities');
    expect(r.stdout).toMatch(/^6 imported or unchanged, 0 rejected\.$/m);
    expect(lines.at(-1)).toMatch(/^Matching: .* 7 matches \(/);
    // Importing again changes nothing.
    const again = await ok(['advisories', 'import', CSAF_DIR]);
    expect(again.stdout.match(/^unchanged /gm)).toHaveLength(6);
  });

  it('rejects a corrupted CSAF file with its path and JSON path, imports the others, exit 65', async () => {
    const bad = join(dir, 'bad-csaf');
    mkdirSync(bad);
    const doc = JSON.parse(readFileSync(join(CSAF_DIR, 'icsma-21-308-01.json'), 'utf8'));
    doc.vulnerabilities[0].product_status.known_affected = ['CSAFPID-9999'];
    writeFileSync(join(bad, 'icsma-21-308-01.json'), JSON.stringify(doc));
    writeFileSync(join(bad, 'icsma-23-061-01.json'), readFileSync(join(CSAF_DIR, 'icsma-23-061-01.json')));
    const r = await vigil(['advisories', 'import', bad], join(dir, 'other.db'));
    expect(r.code).toBe(65);
    expect(r.stdout).toMatch(new RegExp(`^rejected +${join(bad, 'icsma-21-308-01.json')}: `, 'm'));
    expect(r.stdout).toContain('$.vulnerabilities[0].product_status.known_affected[0]');
    expect(r.stdout).toMatch(/^imported +.*icsma-23-061-01\.json: ICSMA-23-061-01/m);
    expect(r.stdout).toMatch(/^1 imported or unchanged, 1 rejected\.$/m);
  });

  it('counts a truncated NVD line as rejected and exits 65, keeping the good record', async () => {
    const [good, second] = readFileSync(join(fixtures, 'advisories/nvd/wolfssl-jquery.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const file = join(dir, 'truncated.jsonl');
    writeFileSync(file, `${good}\n${second!.slice(0, 200)}\n`);
    const other = join(dir, 'nvd-partial.db');
    const r = await vigil(['advisories', 'import', '--no-match', file], other);
    expect(r.stdout).toMatch(/^partial +.*truncated\.jsonl: 1 NVD record$/m);
    expect(r.stdout).toMatch(/^ +line 2: /m);
    expect(r.stdout).toMatch(/^1 imported or unchanged, 1 rejected \(1 record of partial files\)\.$/m);
    expect(r.code).toBe(65);
  });

  it('rejects a file larger than an advisory file may be in one line, storing nothing (exit 65)', async () => {
    const other = join(dir, 'too-large.db');
    // Sparse: 513 MB on paper, nothing on disk; refused by its size before a byte is read, whatever its
    // format (the file is read, capped, before its first bytes are looked at).
    const huge = join(dir, 'huge-csaf.json');
    writeFileSync(huge, '');
    truncateSync(huge, 513_000_000);
    const big = await vigil(['advisories', 'import', '--no-match', huge], other);
    expect(big.stdout).toBe(
      `rejected  ${huge}: ${huge} is 513.0 MB, over the 512.0 MB limit for an advisory file: nothing was read\n` +
        '0 imported or unchanged, 1 rejected.\n',
    );
    expect(big.code).toBe(65);
    expect(JSON.parse((await ok(['advisories', 'list', '--json'], other)).stdout)).toEqual([]);
  });

  it('loads KEV and EPSS (neither lists the Tasy or Abbott CVEs): kev false, epss null', async () => {
    const r = await ok([
      'advisories',
      'import',
      join(fixtures, 'feeds/kev/kev-slice.json'),
      join(fixtures, 'feeds/epss/epss_scores-sample.csv'),
    ]);
    expect(r.stdout).toMatch(/0 rejected/);
    for (const m of await list()) {
      expect(m.kev).toBe(false);
      expect(m.epss).toBeNull();
    }
  });
});

describe('vigil vulns list', () => {
  it('--json prints every entry with the contract fields', async () => {
    const all = await list();
    expect(all.map(row).sort()).toEqual(
      [
        'SJM-1 CVE-2017-12712 needs-review',
        'SJM-1 CVE-2017-12714 needs-review',
        'SJM-1 CVE-2017-12716 needs-review',
        'TASY-1 CVE-2021-39375 affected',
        'TASY-1 CVE-2021-39376 affected',
        'TASY-4 CVE-2021-39375 needs-review',
        'TASY-4 CVE-2021-39376 needs-review',
      ].sort(),
    );
    for (const m of all) {
      for (const f of VULN_MATCH_FIELDS) expect(m, f).toHaveProperty(f);
      expect(m.deviceId).toMatch(/\S/);
      // Every device here has an asset tag, which is what people call it.
      expect(m.deviceLabel).toBe(m.assetTag);
      expect(VULN_MATCH_STATUSES).toContain(m.status);
      expect(m.advisoryIds.length).toBeGreaterThan(0);
      for (const a of m.advisoryIds) expect(a).toBe(a.toUpperCase());
      expect(m.cve).toMatch(/^CVE-\d{4}-\d+$/);
      expect(typeof m.confidence).toBe('number');
      expect(Array.isArray(m.matchedBy) && m.matchedBy.length > 0).toBe(true);
      expect(m.explanation).toMatch(/\S/);
      expect(m.explanation).not.toMatch(/[\r\n]/);
      expect(typeof m.fixAvailable).toBe('boolean');
    }
    const tasy = all.find((m) => m.assetTag === 'TASY-1' && m.cve === 'CVE-2021-39375')!;
    expect(tasy).toMatchObject({ advisoryIds: ['ICSMA-21-308-01'], fixAvailable: true, candidate: false });
    expect(tasy.explanation).toContain('3.06.1700 in range "<= 3.06.1803"');
    const sjm = all.find((m) => m.assetTag === 'SJM-1')!;
    expect(sjm).toMatchObject({ advisoryIds: ['ICSMA-17-241-01'], fixAvailable: false, candidate: true });
  });

  it('--limit, --status and --device filter', async () => {
    expect(await list('--limit', '1')).toHaveLength(1);
    expect((await list('--status', 'affected')).map(row).sort()).toEqual([
      'TASY-1 CVE-2021-39375 affected',
      'TASY-1 CVE-2021-39376 affected',
    ]);
    expect(await list('--status', 'fixed')).toEqual([]);
    expect((await list('--device', 'TASY-4')).map(row).sort()).toEqual([
      'TASY-4 CVE-2021-39375 needs-review',
      'TASY-4 CVE-2021-39376 needs-review',
    ]);
    expect(await list('--device', 'SJM-1', '--status', 'affected')).toEqual([]);
    const table = (await ok(['vulns', 'list', '--device', 'SJM-1'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^STATUS +VULNERABILITY +ADVISORY +DEVICE/);
    expect(table.match(/ICSMA-17-241-01/g)).toHaveLength(3);
  });

  it('refuses a bad --status (the binary) or --limit as invalid input (exit 65), not an internal error', async () => {
    const bad = spawnVigil(['vulns', 'list', '--status', 'bogus']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/--status/);
    expect(bad.stderr).not.toMatch(/internal error/);
    expect((await vigil(['vulns', 'list', '--limit', 'x'])).code).toBe(65);
    expect((await vigil(['vulns', 'list', '--limit', '0'])).code).toBe(65);
  });

  it('exits quietly when the reader closes the pipe (EPIPE)', async () => {
    for (const json of [[], ['--json']]) {
      const errFile = join(dir, 'epipe.err');
      // `true` exits at once, so the read end is closed before vigil writes anything.
      const r = spawnSync(
        'bash',
        [
          '-c',
          `"$0" "$1" --db "sqlite:$2" vulns list ${json.join(' ')} 2>"$3" | true; echo "\${PIPESTATUS[0]}"`,
          process.execPath,
          bin,
          db,
          errFile,
        ],
        { encoding: 'utf8', env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' }, timeout: 60_000 },
      );
      expect(r.stdout.trim()).toBe('0');
      expect(readFileSync(errFile, 'utf8')).toBe('');
    }
  });
});

describe('vigil vulns show / why', () => {
  it('shows an advisory with the fleet view of each of its CVEs', async () => {
    const r = await ok(['vulns', 'show', 'ICSMA-21-308-01']);
    expect(r.stdout).toMatch(/^ICSMA-21-308-01 version 1 \(final\), CISA\n/);
    expect(r.stdout).toMatch(/^CVE-2021-39375$/m);
    expect(r.stdout).toMatch(/^CVE-2021-39376$/m);
    expect(
      r.stdout.match(/Devices: 1 needs-review, 1 affected|Devices: 1 affected, 1 needs-review/g),
    ).toHaveLength(2);
    expect(r.stdout).toMatch(/1 +affected +Philips +Tasy EMR HTML5 +3\.06\.1700 +North Clinic +yes/);
    const j = JSON.parse((await ok(['vulns', 'show', 'icsma-21-308-01', '--json'])).stdout) as {
      advisoryId: string;
      vulnerabilities: { vulnerability: string; counts: Record<string, number>; fleet: unknown[] }[];
    };
    expect(j.advisoryId).toBe('ICSMA-21-308-01');
    expect(j.vulnerabilities.map((v) => v.vulnerability)).toEqual(['CVE-2021-39375', 'CVE-2021-39376']);
    for (const v of j.vulnerabilities) expect(v.counts).toEqual({ affected: 1, 'needs-review': 1 });
  });

  it('shows one CVE; an unknown id is not found (exit 66)', async () => {
    const r = await ok(['vulns', 'show', 'CVE-2021-39375']);
    expect(r.stdout).toMatch(/^CVE-2021-39375\n/);
    expect(r.stdout).toContain('CWE: CWE-89');
    expect(r.stdout).toContain('Advisory ICSMA-21-308-01 v1 (2021-11-04)');
    const j = JSON.parse((await ok(['vulns', 'show', 'CVE-2021-39375', '--json'])).stdout);
    expect(j).toMatchObject({ vulnerability: 'CVE-2021-39375', cve: 'CVE-2021-39375' });
    const missing = await vigil(['vulns', 'show', 'CVE-1999-99999']);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/CVE-1999-99999/);
  });

  it('why prints the rule explanation with the remediations', async () => {
    const r = await ok(['vulns', 'why', 'TASY-1', 'CVE-2021-39375']);
    expect(r.stdout).toMatch(/^CVE-2021-39375 on TASY-1: affected \(confidence 1\)\n/);
    expect(r.stdout).toContain('software 3.06.1700 in range "<= 3.06.1803"');
    expect(r.stdout).toMatch(/Rules: .*csaf-product.*; fix available: yes/);
    expect(r.stdout).toMatch(/- csaf-product \[csaf ICSMA-21-308-01 2021-11-04\] says affected/);
    expect(r.stdout).toMatch(/vendor_fix: .*3\.06\.1804/);
    const sjm = (await ok(['vulns', 'why', 'SJM-1', 'cve-2017-12712', '--json'])).stdout;
    expect(JSON.parse(sjm)).toMatchObject({ candidate: true, status: 'needs-review' });
    expect((await vigil(['vulns', 'why', 'TASY-1', 'CVE-2017-12712'])).code).toBe(66);
  });
});

describe('vigil vulns confirm / reject', () => {
  it('confirms and rejects candidates, and the audit log shows both', async () => {
    const c = await ok(['vulns', 'confirm', 'SJM-1', 'CVE-2017-12712', '--reason', 'made before 2017-08-28']);
    expect(c.stdout).toMatch(/^CVE-2017-12712 confirmed for SJM-1's model and version; 1 match updated\.\n$/);
    const r = await ok([
      'vulns',
      'reject',
      'TASY-4',
      'CVE-2021-39375',
      '--reason',
      'runs 3.06.1804 per vendor',
    ]);
    expect(r.stdout).toMatch(/^CVE-2021-39375 rejected for TASY-4's model and version; /);
    const sjm = (await list('--device', 'SJM-1', '--vuln', 'CVE-2017-12712'))[0]!;
    expect(sjm).toMatchObject({ status: 'affected', candidate: false });
    expect(sjm.matchedBy).toContain('person-confirmed');
    expect((await list('--device', 'TASY-4', '--vuln', 'CVE-2021-39375'))[0]).toMatchObject({
      status: 'not-affected',
      candidate: false,
    });
    const audit = JSON.parse((await ok(['audit', 'list', '--action', 'vulns.', '--json'])).stdout) as {
      action: string;
      summary: { vulnerability?: string; reason?: string };
    }[];
    expect(audit.find((a) => a.action === 'vulns.confirm')?.summary).toMatchObject({
      vulnerability: 'CVE-2017-12712',
      reason: 'made before 2017-08-28',
    });
    expect(audit.find((a) => a.action === 'vulns.reject')?.summary).toMatchObject({
      vulnerability: 'CVE-2021-39375',
    });
    expect((await ok(['audit', 'list', '--action', 'vulns.'])).stdout).toMatch(/vulns\.confirm/);
  });

  it('refuses to confirm a match that is not a candidate (exit 65)', async () => {
    const r = await vigil(['vulns', 'confirm', 'TASY-1', 'CVE-2021-39375', '--reason', 'x']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/affected, not a candidate awaiting review/);
    expect((await vigil(['vulns', 'confirm', 'SJM-1', 'CVE-2017-12714'])).code).not.toBe(0);
  });
});

describe('vigil match and feeds', () => {
  it('match prints the report', async () => {
    const r = await ok(['match']);
    expect(r.stdout).toMatch(
      /^Matching: \d+ devices \(\d+ distinct models\/versions\) against \d+ vulnerabilities in \d+ ms: 7 matches .*; 0 new, 0 changed, 0 gone\.\n$/,
    );
    expect(JSON.parse((await ok(['match', '--json'])).stdout)).toMatchObject({ matches: 7, added: 0 });
  });

  it('lists the manual sources, subscribes (never synced, STALE) and unsubscribes', async () => {
    const feeds = (await ok(['advisories', 'feeds'])).stdout;
    expect(feeds.split('\n')[0]).toMatch(/^NAME +KIND +MANUFACTURER +LAST SYNC +STATE/);
    for (const kind of ['csaf-files', 'kev', 'epss']) expect(feeds).toMatch(new RegExp(`^${kind} `, 'm'));
    const url = 'https://psirt.example.org/.well-known/csaf/provider-metadata.json';
    const sub = await ok(['advisories', 'subscribe', url, '--name', 'example-psirt']);
    expect(sub.stdout).toMatch(/Subscribed to example-psirt \(csaf-provider\)/);
    expect((await ok(['advisories', 'feeds'])).stdout).toMatch(
      /^example-psirt +csaf-provider +- +never +STALE /m,
    );
    const j = JSON.parse((await ok(['advisories', 'feeds', '--json'])).stdout) as {
      name: string;
      stale: boolean;
    }[];
    expect(j.find((f) => f.name === 'example-psirt')).toMatchObject({ stale: true, lastSuccessAt: null });
    expect((await vigil(['advisories', 'subscribe', url, '--name', 'example-psirt'])).code).not.toBe(0);
    expect((await ok(['advisories', 'unsubscribe', 'example-psirt'])).stdout).toBe(
      'Removed example-psirt.\n',
    );
    expect((await ok(['advisories', 'feeds'])).stdout).not.toContain('example-psirt');
  });
});

describe('vigil sbom / vex', () => {
  it('attaches a CycloneDX SBOM to an imported model and lists it', async () => {
    const r = await ok([
      'sbom',
      'import',
      join(fixtures, 'sbom-vex/cyclonedx/medical-device-narrow.sbom.json'),
      '--model',
      'Alaris PC Unit',
    ]);
    expect(r.stdout).toMatch(
      /^Imported: cyclonedx 1\.4 SBOM for Becton, Dickinson and Company \(BD\) Alaris PC Unit \(every version\)/,
    );
    const rows = JSON.parse((await ok(['sbom', 'list', '--json'])).stdout) as {
      model: string;
      file: string;
    }[];
    expect(rows).toEqual([
      expect.objectContaining({ model: 'Alaris PC Unit', file: 'medical-device-narrow.sbom.json' }),
    ]);
    expect((await ok(['sbom', 'list'])).stdout).toMatch(/Alaris PC Unit +\(all\) +cyclonedx 1\.4/);
    expect(
      (
        await vigil([
          'sbom',
          'import',
          join(fixtures, 'sbom-vex/cyclonedx/medical-device-narrow.sbom.json'),
          '--model',
          'No Such Model',
        ])
      ).code,
    ).not.toBe(0);
  });

  it("reads --version after the command as the SBOM's version, not as a request for Vigil's", async () => {
    // As docs/advisories.md writes it: the option after the file, its value as a separate word.
    const r = await ok([
      'sbom',
      'import',
      join(fixtures, 'sbom-vex/cyclonedx/medical-device-narrow.sbom.json'),
      '--model',
      'Alaris PC Unit',
      '--version',
      '12.1.2',
    ]);
    expect(r.stdout).toMatch(/^Imported: cyclonedx 1\.4 SBOM for .* Alaris PC Unit 12\.1\.2: 55 components/);
    const rows = JSON.parse((await ok(['sbom', 'list', '--json'])).stdout) as { softwareVersion: string }[];
    expect(rows.map((s) => s.softwareVersion)).toContain('12.1.2');
    // Before the command it still asks for Vigil's version.
    expect((await ok(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names a missing file or a directory given to sbom/vex import (exit 65, no internal error)', async () => {
    for (const args of [
      ['sbom', 'import', join(dir, 'nope.json'), '--model', 'Alaris PC Unit'],
      ['sbom', 'import', dir, '--model', 'Alaris PC Unit'],
      ['vex', 'import', join(dir, 'nope.json')],
      ['vex', 'import', dir],
    ]) {
      const r = await vigil(args);
      expect(r.code, args.join(' ')).toBe(65);
      expect(r.stderr).toMatch(new RegExp(`^vigil: Cannot read ${args[2]}: (ENOENT|EISDIR)`));
    }
  });

  it('refuses an SBOM or VEX file larger than the limit, storing nothing (exit 65)', async () => {
    const before = [
      (await ok(['sbom', 'list', '--json'])).stdout,
      (await ok(['vex', 'list', '--json'])).stdout,
    ];
    // Sparse: 257 MB on paper, nothing on disk; refused by its size before a byte is read.
    const huge = join(dir, 'huge.cdx.json');
    writeFileSync(huge, '');
    truncateSync(huge, 257_000_000);
    for (const [args, what] of [
      [['sbom', 'import', huge, '--model', 'Alaris PC Unit'], 'an SBOM'],
      [['vex', 'import', huge], 'a VEX document'],
    ] as const) {
      const r = await vigil([...args]);
      expect(r.stderr).toMatch(
        new RegExp(
          `^vigil: ${huge} is 257\\.0 MB, over the 256\\.0 MB limit for ${what}: nothing was read\n`,
        ),
      );
      expect(r.code).toBe(65);
    }
    expect([
      (await ok(['sbom', 'list', '--json'])).stdout,
      (await ok(['vex', 'list', '--json'])).stdout,
    ]).toEqual(before);
  });

  it("adds the hospital's own statement and exports OpenVEX and CSAF VEX", async () => {
    const add = await ok([
      'vex',
      'add',
      '--vuln',
      'CVE-2021-39376',
      '--status',
      'not-affected',
      '--justification',
      'vulnerable_code_cannot_be_controlled_by_adversary',
      '--statement',
      'Tasy reachable only from the EMR jump host',
      '--model',
      'Tasy EMR HTML5',
      '--manufacturer',
      'Philips',
    ]);
    expect(add.stdout).toMatch(/^VEX statement \S+: CVE-2021-39376 not-affected for Philips Tasy EMR HTML5/);
    expect((await list('--device', 'TASY-1', '--vuln', 'CVE-2021-39376'))[0]).toMatchObject({
      status: 'not-affected',
    });

    const openvex = JSON.parse((await ok(['vex', 'export', '--format', 'openvex'])).stdout);
    expect(String(openvex['@context'])).toContain('openvex');
    expect(openvex.statements).toEqual([
      expect.objectContaining({
        vulnerability: expect.objectContaining({ name: 'CVE-2021-39376' }),
        status: 'not_affected',
        justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
      }),
    ]);
    const csaf = JSON.parse((await ok(['vex', 'export', '--format', 'csaf'])).stdout);
    expect(csaf.document.category).toBe('csaf_vex');
    expect(csaf.document.csaf_version).toBe('2.0');
    expect(JSON.stringify(csaf.vulnerabilities)).toContain('CVE-2021-39376');
    const out = join(dir, 'vex.json');
    await ok(['vex', 'export', '--format', 'openvex', '--output', out]);
    expect(JSON.parse(readFileSync(out, 'utf8'))['@context']).toContain('openvex');
  });

  it('refuses an incomplete statement as invalid input (exit 65)', async () => {
    const r = await vigil([
      'vex',
      'add',
      '--vuln',
      'CVE-2021-39376',
      '--status',
      'not-affected',
      '--model',
      'Tasy EMR HTML5',
    ]);
    expect(r.code).toBe(65);
    expect(r.stderr).not.toMatch(/internal error/);
    expect((await vigil(['vex', 'export', '--format', 'yaml'])).code).toBe(65);
  });
});

describe('vigil cvss and vigil ssvc decide', () => {
  it('scores vectors of every version and names the bad metric of a malformed one (the binary)', () => {
    // Scores as NVD publishes them: CVE-2021-44228 (3.1, 10.0) and a v2 vector from the NVD 1.1 oracle (7.5).
    const r = spawnVigil([
      'cvss',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
      'AV:N/AC:L/Au:N/C:P/I:P/A:P',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([
      { version: '3.1', baseScore: 10, baseSeverity: 'CRITICAL' },
      { version: '2.0', baseScore: 7.5, baseSeverity: 'HIGH' },
    ]);
    const bad = spawnVigil(['cvss', 'CVSS:3.1/AV:N/AC:X/PR:N/UI:N/S:U/C:H/I:H/A:H']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('metric AC');
  });

  it('decides with the CISA and deployer tables and prints the path', async () => {
    const cisa = await vigil([
      'ssvc',
      'decide',
      '--tree',
      'cisa',
      'exploitation=active',
      'automatable=yes',
      'TI=total',
      'MWI=high',
    ]);
    expect(cisa.code).toBe(0);
    expect(cisa.stdout).toContain('Act');
    expect(cisa.stdout).toContain('Exploitation (E) = Active (A)');
    const wrong = await vigil(['ssvc', 'decide', '--tree', 'deployer', 'E=maybe']);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain("unknown value 'maybe' for Exploitation");
  });
});

describe('a device without an asset tag', () => {
  it('is named by make, model and address in the list, the table and the explanation', async () => {
    const MAC = '00:09:fb:01:02:77';
    await ok([
      'devices',
      'add',
      '--manufacturer',
      'Philips',
      '--model',
      'Tasy EMR HTML5',
      '--software',
      '3.06.1000',
      '--mac',
      MAC,
      '--ip',
      '10.20.0.77',
    ]);
    const label = 'Philips Tasy EMR HTML5 (10.20.0.77)';
    const mine = await list('--device', MAC);
    expect(mine.map((m) => [m.assetTag, m.deviceLabel, m.vulnerability]).sort()).toEqual([
      [null, label, 'CVE-2021-39375'],
      [null, label, 'CVE-2021-39376'],
    ]);
    const table = (await ok(['vulns', 'list', '--device', MAC])).stdout;
    expect(table).toMatch(/CVE-2021-39375 +ICSMA-21-308-01 +Philips Tasy EMR HTML5 \(10\.20\.0\.77\) +1 /);
    expect(table).not.toContain(mine[0]!.deviceId);
    expect((await ok(['vulns', 'why', MAC, 'CVE-2021-39375'])).stdout).toMatch(
      /^CVE-2021-39375 on Philips Tasy EMR HTML5 \(10\.20\.0\.77\): affected /,
    );
  });
});
