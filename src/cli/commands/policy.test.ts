/**
 * `vigil policy …` and `vigil services check` as an operator types them: the built CLI (dist/, built by
 * the test global setup; in this process, and once as its own process) on a temporary SQLite file, fed the
 * real legacy-device capture (test/fixtures/policy/PROVENANCE.md) and the shared HL7 capture.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
let dir: string;

/** In this process (test/cli-in-process.ts): what each command does. */
function vigil(args: string[]) {
  return vigilInProcess(args, { db: `sqlite:${join(dir, 'vigil.db')}` });
}

/** The built binary in its own process, as an operator runs it: exit codes and messages across the boundary. */
function vigilSpawned(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DB: `sqlite:${join(dir, 'vigil.db')}`, VIGIL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-policy-cli-'));
});

describe('vigil policy / services CLI', () => {
  it('imports, proposes, approves, simulates, exports and checks services', async () => {
    const legacy = join(root, 'test/fixtures/policy/legacy-dicom-telnet-ftp.pcap');
    const hl7 = join(root, 'test/fixtures/captures/04-hl7-mllp.pcap');
    expect((await vigil(['import', '--quiet', legacy, hl7])).code).toBe(0);

    expect((await vigil(['policy', 'simulate'])).code).toBe(66); // nothing approved yet: not found
    const proposed = await vigil(['policy', 'propose', '--json']);
    expect(proposed.code, proposed.stderr).toBe(0);
    const draft = JSON.parse(proposed.stdout) as {
      id: string;
      ruleCount: number;
      reviewCount: number;
      approvedId: string | null;
    };
    expect(draft.ruleCount).toBeGreaterThan(2);
    expect(draft.approvedId).toBeNull();
    expect((await vigil(['policy', 'propose'])).stdout).toMatch(
      /No policy is approved for this scope yet: every rule is new\./,
    );
    // Telnet and FTP were seen: proposed, but flagged for review.
    expect(draft.reviewCount).toBeGreaterThanOrEqual(2);
    const refused = await vigil(['policy', 'approve', draft.id]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/flagged for review \(.*23\/tcp.*--accept-review/);
    expect((await vigil(['policy', 'approve', draft.id, '--accept-review'])).stdout).toMatch(
      /is approved \(\d+ rules, \d+ of them flagged for review and accepted\)/,
    );
    // The same traffic proposed again: nothing changes against the policy just approved.
    expect((await vigil(['policy', 'propose'])).stdout).toMatch(
      /Against the approved policy: 0 added, 0 removed, 0 changed\./,
    );
    // The table a reviewer reads: each side with its hosts, the service, and every reason whole.
    const shown = (await vigil(['policy', 'show'])).stdout;
    expect(shown).toMatch(/^r\d+ +\S+ 10\.20\.0\.50 +\S+ +23\/tcp telnet +yes$/m);
    expect(shown).toMatch(/^ {2}r\d+ \(review\): .*Disable Telnet and use SSH; .*service workstation\.$/m);

    const sim = await vigil(['policy', 'simulate', '--capture', legacy, '--capture', hl7, '--json']);
    expect(sim.code, sim.stderr).toBe(0);
    expect(JSON.parse(sim.stdout)).toMatchObject({ blocked: 0 });
    const other = await vigil([
      'policy',
      'simulate',
      '--capture',
      join(root, 'test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap'),
    ]);
    expect(other.stdout).toMatch(/would be blocked/);
    expect(other.stdout).toMatch(/22\/tcp/);

    const nft = await vigil(['policy', 'export', '--format', 'nftables']);
    expect(nft.stdout).toMatch(/policy drop;/);
    // A bad policy file and a bad --zones are named as such.
    const badFile = join(dir, 'bad-policy.json');
    writeFileSync(badFile, JSON.stringify({ rules: [{ id: 5 }] }));
    const saved = await vigil(['policy', 'save', badFile]);
    expect(saved.code).toBe(65);
    expect(saved.stderr).toContain(`vigil: ${badFile}: Invalid policy`);
    // Simulating or exporting the same file names it as well, on every problem line.
    for (const args of [
      ['policy', 'simulate', '--policy', badFile],
      ['policy', 'export', '--format', 'nftables', '--policy', badFile],
    ]) {
      const r = await vigil(args);
      expect(r.code).toBe(65);
      expect(r.stderr).toContain(`vigil: ${badFile}: Invalid policy`);
      expect(r.stderr).toContain(`  ${badFile}, rules.0.`);
    }
    const zones = await vigil(['policy', 'propose', '--zones', 'dept']);
    expect(zones.code).toBe(65);
    expect(zones.stderr).toMatch(/--zones must be one of class, department, class\+department/);
    const bad = vigilSpawned(['policy', 'export', '--format', 'pf']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/--format must be one of/);

    const services = await vigil(['services', 'check', '--json']);
    expect(services.code, services.stderr).toBe(0);
    const report = JSON.parse(services.stdout) as { items: { subject: string }[] };
    expect(report.items.map((i) => i.subject).sort()).toEqual(['ftp:21', 'telnet:23']);
    const findings = await vigil(['findings', 'list', '--type', 'unnecessary-service', '--json']);
    expect((JSON.parse(findings.stdout) as unknown[]).length).toBe(2);
  }, 240_000);

  it('refuses a policy file larger than the limit, /dev/zero included, and saves nothing (exit 65)', async () => {
    const before = await vigil(['policy', 'show', '--json']);
    // Sparse: 17 MB on paper, nothing on disk; refused by its size before a byte is read.
    const huge = join(dir, 'huge-policy.json');
    writeFileSync(huge, '');
    truncateSync(huge, 17_000_000);
    const big = await vigil(['policy', 'save', huge]);
    expect(big.stderr).toMatch(
      new RegExp(
        `^vigil: ${huge} is 17\\.0 MB, over the 16\\.0 MB limit for a policy file: nothing was read\n`,
      ),
    );
    expect(big.code).toBe(65);
    const zero = await vigil(['policy', 'save', '/dev/zero']);
    expect(zero.stderr).toMatch(
      /^vigil: \/dev\/zero gives more than 16\.0 MB, the limit for a policy file: stopped reading there\n/,
    );
    expect(zero.code).toBe(65);
    expect(await vigil(['policy', 'show', '--json'])).toEqual(before);
  });
});
