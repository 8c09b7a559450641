/**
 * Every export of a policy proposed from real traffic (the shared captures' SYNs, IPv4 and IPv6):
 * nftables checked by `nft -c -f`, iptables by `iptables-restore --test` / `ip6tables-restore --test`
 * (Debian packages nftables and iptables); Cisco IOS and JSON checked for their shape; every format
 * byte-for-byte stable. Without the tools the checks skip with a message, and fail when CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetworkMap } from '../policy-inventory.js';
import { PolicySchema } from '../policy-model.js';
import { sghInventory, synFlows } from '../policy-test-fixtures.js';
import { proposePolicy } from '../propose.js';
import { toCiscoIos } from './cisco-ios.js';
import { EXPORT_FORMATS, exportPolicy } from './index.js';
import { toIptables } from './iptables.js';
import { toJsonExport } from './json.js';
import { toNftables } from './nftables.js';

const map = new NetworkMap(sghInventory());
const base = proposePolicy(map, synFlows(), { name: 'sgh' });
// Add what a person would: an internet rule and an ICMP rule, to cover every branch of the writers.
const policy = PolicySchema.parse({
  ...base,
  rules: [
    ...base.rules,
    {
      id: 'updates',
      from: { zone: 'clinical', deviceClass: 'medical-workstation' },
      to: { zone: 'internet', hosts: ['93.184.216.34', '2606:4700::/32'] },
      port: 443,
      transport: 'tcp',
      protocol: 'tls',
      reason: 'vendor "update" service; ticket #123 {approved}',
    },
    {
      id: 'ping-pacs',
      from: { zone: 'clinical', deviceClass: 'medical-workstation' },
      to: { zone: 'clinical', deviceClass: 'pacs' },
      port: 0,
      transport: 'icmp',
      reason: 'reachability checks from the biomed workstation',
    },
  ],
});

function tool(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim();
  if (process.env['CI'] === 'true')
    throw new Error(`${name} is required in CI (Debian package: see docs/policy.md)`);
  console.warn(
    `[vigil tests] ${name} not installed: its check is SKIPPED (apt-get install -y nftables iptables)`,
  );
  return null;
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('policy exports', () => {
  it('nftables: a ruleset that nft -c -f accepts, IPv4 and IPv6, reasons as comments', () => {
    const text = toNftables(policy, map);
    expect(text).toContain('type filter hook forward priority filter; policy drop;');
    // A class-to-class rule covers every device of the class in the zone: both PACS.
    expect(text).toMatch(
      /ip saddr 10\.20\.0\.21 ip daddr \{ 10\.20\.0\.10, 10\.20\.0\.11 \} tcp dport 104 accept comment "r\d+"/,
    );
    expect(text).toContain('ip6 saddr fd00:20::50 ip6 daddr fd00:20::30 tcp dport 80 accept');
    expect(text).toContain('ip daddr 93.184.216.34 tcp dport 443 accept');
    expect(text).toContain('meta l4proto icmp accept comment "ping-pacs"');
    // The PACS have no IPv6 address: no IPv6 line for that rule.
    expect(text).not.toContain('ipv6-icmp');
    expect(text).toContain('# reason: vendor update service ticket 123 approved');
    // The FTP session (07's client → legacy device 21/tcp) gets the kernel's FTP helper, which nft -c
    // below checks against the kernel: its data connections are related, no rule opens their ports.
    expect(text).toContain('\tct helper vigil-ftp {\n\t\ttype "ftp" protocol tcp;\n\t}');
    expect(text).toMatch(/ip daddr 10\.20\.0\.40 tcp dport 21 ct helper set "vigil-ftp" comment "r\d+"/);
    const nft = tool('nft');
    if (!nft) return;
    const r = spawnSync(nft, ['-c', '-f', tempFile('vigil.nft', text)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('nft -c rejects a broken ruleset (the check is real)', () => {
    const nft = tool('nft');
    if (!nft) return;
    const broken = toNftables(policy, map).replace('tcp dport 104', 'tcp dport 104104');
    const r = spawnSync(nft, ['-c', '-f', tempFile('broken.nft', broken)], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });

  it('iptables and ip6tables: input that iptables-restore --test accepts', () => {
    const v4 = toIptables(policy, map, 4);
    const v6 = toIptables(policy, map, 6);
    // Chains of Vigil's own, loaded with --noflush: the firewall's other chains are never flushed.
    expect(v4).toContain(':VIGIL-FORWARD - [0:0]');
    expect(v4).not.toMatch(/^:(FORWARD|INPUT|OUTPUT|PREROUTING) /m);
    expect(v4).not.toMatch(/^-A (FORWARD|INPUT|OUTPUT|PREROUTING) /m);
    expect(v4).toMatch(/-A VIGIL-FORWARD -m comment --comment "vigil: default deny" -j DROP\nCOMMIT\n$/);
    expect(v4).toContain("# load (replaces only Vigil's chains): iptables-restore --noflush FILE");
    expect(v6).toContain("# load (replaces only Vigil's chains): ip6tables-restore --noflush FILE");
    expect(v4).toMatch(
      /-s 10\.20\.0\.21 -d 10\.20\.0\.10,10\.20\.0\.11 -p tcp -m tcp --dport 104 -m comment --comment "r\d+: observed: /,
    );
    expect(v4).not.toContain('fd00:');
    expect(v6).toContain('-s fd00:20::50 -d fd00:20::30 -p tcp -m tcp --dport 80');
    expect(v4).toContain('-s 10.20.0.50 -d 10.20.0.10,10.20.0.11 -p icmp');
    expect(v6).toContain(
      '# ping-pacs: clinical/medical-workstation -> clinical/pacs icmp\n# skipped: no IPv6 address',
    );
    expect(v6).not.toMatch(/-s 10\./);
    expect(v4).toMatch(
      /^\*raw\n:VIGIL-PREROUTING - \[0:0\]\n-A VIGIL-PREROUTING .*-d 10\.20\.0\.40 -p tcp -m tcp --dport 21 -m comment --comment "r\d+" -j CT --helper ftp\nCOMMIT$/m,
    );
    expect(v6).not.toContain('*raw');
    for (const [bin, text] of [
      ['iptables-restore', v4],
      ['ip6tables-restore', v6],
    ] as const) {
      const path = tool(bin);
      if (!path) continue;
      const r = spawnSync(path, ['--test', '--noflush'], { input: text, encoding: 'utf8' });
      expect(r.stderr, bin).toBe('');
      expect(r.status, bin).toBe(0);
      const bad = spawnSync(path, ['--test', '--noflush'], {
        input: text.replace('-m conntrack --ctstate INVALID', '-m conntrack --ctstate BOGUS'),
        encoding: 'utf8',
      });
      expect(bad.status, `${bin} refuses a broken file`).not.toBe(0);
    }
  });

  it('cisco-ios: named extended ACLs with remarks, host/wildcard/prefix forms and a logged deny', () => {
    const text = toCiscoIos(policy, map);
    expect(text).toContain(
      'ip access-list extended VIGIL-POLICY\n remark return traffic of permitted TCP sessions\n permit tcp any any established',
    );
    expect(text).toContain(' permit tcp host 10.20.0.21 host 10.20.0.10 eq 104');
    expect(text).toContain(' permit tcp host fd00:20::50 host fd00:20::30 eq 80');
    expect(text).toContain(' permit tcp host 10.20.0.50 host 93.184.216.34 eq 443');
    expect(text).toContain(' permit tcp host fd00:20::50 2606:4700::/32 eq 443');
    expect(text).toContain(' permit icmp host 10.20.0.50 host 10.20.0.10');
    expect(text).toContain(' deny ip any any log\n');
    expect(text).toContain(' deny ipv6 any any log\n');
    for (const line of text.split('\n').filter((l) => l.startsWith(' remark ')))
      expect(line.length, line).toBeLessThanOrEqual(' remark '.length + 100);
  });

  it('json: the policy with resolved addresses per family', () => {
    const j = toJsonExport(policy, map);
    expect(j.format).toBe('vigil-policy-export');
    const updates = j.rules.find((r) => r.id === 'updates')!;
    expect(updates.addresses).toEqual({
      ipv4: { from: ['10.20.0.50'], to: ['93.184.216.34'] },
      ipv6: { from: ['fd00:20::50'], to: ['2606:4700::/32'] },
    });
  });

  it('every format is deterministic', () => {
    for (const f of EXPORT_FORMATS) {
      const shuffled = {
        ...policy,
        rules: policy.rules.map((r) => ({
          ...r,
          from: { ...r.from, ...(r.from.hosts ? { hosts: [...r.from.hosts].reverse() } : {}) },
        })),
      };
      expect(exportPolicy(f, shuffled, map), f).toBe(exportPolicy(f, policy, map));
    }
  });

  it('nft is installed here as the brief says (diagnostic)', () => {
    // Keeps the version of the checking tool in the test log.
    const nft = tool('nft');
    if (nft) expect(execFileSync(nft, ['--version'], { encoding: 'utf8' })).toMatch(/nftables/);
  });
});

describe('link-local addresses', () => {
  // The host of Zeek's trace dns/mdns.pcap (test/fixtures/policy/mdns-link-local.tsv) sent from its ULA
  // fd52:…:4dc4 and from its link-local fe80::…:4dc4 (the same interface identifier): the inventory
  // keeps both. A hand-written rule also names a 169.254/16 host.
  const inventory = sghInventory();
  inventory.devices.push({
    id: 'dev-MDNS',
    label: 'MDNS',
    deviceClass: 'medical-workstation',
    siteId: 'site-sgh',
    ips: ['10.20.0.52', 'fd00:20::52', 'fe80::883c:d6ff:fee1:4dc4'],
  });
  const lan = new NetworkMap(inventory);
  const withLinkLocal = PolicySchema.parse({
    ...base,
    rules: [
      ...base.rules,
      {
        id: 'apipa',
        from: { zone: 'clinical', hosts: ['169.254.10.20'] },
        to: { zone: 'clinical', deviceClass: 'pacs' },
        port: 104,
        transport: 'tcp',
        reason: 'a modality that fell back to a self-assigned address',
      },
    ],
  });

  it('are never written, by any format', () => {
    for (const format of EXPORT_FORMATS) {
      const text = exportPolicy(format, withLinkLocal, lan);
      expect(text, format).not.toMatch(/fe80|169\.254/i);
    }
    // The device's other addresses still are, and the rule with only a link-local client is skipped.
    const nft = exportPolicy('nftables', withLinkLocal, lan);
    expect(nft).toContain('fd00:20::52');
    expect(nft).toContain('10.20.0.52');
    expect(nft).toMatch(
      /# apipa: .*\n.*\n\t\t# skipped: no device or segment address \(other than link-local\)/,
    );
  });
});
