/**
 * The iptables and nftables exports loaded for real, into a network namespace of the test's own that already holds a
 * firewall (management access on INPUT, a rule on FORWARD, one in the raw table): loading it as the
 * file's header says, twice, then a smaller policy, must leave those rules alone and Vigil's chains
 * holding exactly the current policy, reached by one jump each; the nftables ruleset likewise replaces
 * its own table and no other. Needs root, `ip`, iptables and nft (CI runs as root with them installed);
 * elsewhere it says it is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkMap } from '../policy-inventory.js';
import { type Policy, PolicySchema } from '../policy-model.js';
import { sghInventory, synFlows } from '../policy-test-fixtures.js';
import { proposePolicy } from '../propose.js';
import { toIptables } from './iptables.js';
import { toNftables } from './nftables.js';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [
  process.getuid?.() === 0 ? null : 'root',
  has('ip', ['-V']) ? null : 'ip (iproute2)',
  has('iptables', ['--version']) ? null : 'iptables',
  has('ip6tables', ['--version']) ? null : 'ip6tables',
  has('nft', ['--version']) ? null : 'nft (nftables)',
].filter((m): m is string => m !== null);
if (missing.length && process.env['CI'] === 'true')
  throw new Error(`the firewall load test needs ${missing.join(', ')} in CI (see docs/policy.md)`);
if (missing.length) console.warn(`[vigil tests] firewall load test SKIPPED: needs ${missing.join(', ')}`);

const NS = `vgipt-${randomBytes(3).toString('hex')}`;
afterAll(() => {
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
});

function inNs(args: string[], input?: string): string {
  const r = spawnSync('ip', ['netns', 'exec', NS, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The commands the file's header gives for hooking the chains in (`#   iptables -t … || …`). */
function hookCommands(file: string): string[] {
  return file
    .split('\n')
    .filter((l) => /^# {3}ip6?tables -t /.test(l))
    .map((l) => l.slice(4));
}

/** Each rule of a table as iptables-save prints it, without counters. */
function rulesOf(cmd: 'iptables' | 'ip6tables', table: string): string[] {
  return inNs([`${cmd}-save`, '-t', table])
    .split('\n')
    .filter((l) => l.startsWith('-A '));
}

const map = new NetworkMap(sghInventory());
const proposed = proposePolicy(map, synFlows(), { name: 'sgh' });

function load(policy: Policy, family: 4 | 6): string {
  const file = toIptables(policy, map, family);
  inNs([family === 4 ? 'iptables-restore' : 'ip6tables-restore', '--noflush'], file);
  for (const cmd of hookCommands(file)) inNs(['sh', '-c', cmd]);
  return file;
}

const policyLines = (file: string, chain: string) =>
  file.split('\n').filter((l) => l.startsWith(`-A ${chain} `));

/** How many rules iptables makes of a file's chain: one per source × destination of a comma list. */
function expandedCount(file: string, chain: string): number {
  const count = (line: string, flag: string) =>
    line.match(new RegExp(` ${flag} (\\S+)`))?.[1]?.split(',').length ?? 1;
  return policyLines(file, chain).reduce((n, l) => n + count(l, '-s') * count(l, '-d'), 0);
}

describe.skipIf(missing.length > 0)(
  'firewall exports loaded into a real firewall (network namespace)',
  () => {
    it('iptables: replaces only its own chains, hooks them in once, and leaves the other rules alone', () => {
      execFileSync('ip', ['netns', 'add', NS]);
      // The firewall as a hospital has it before Vigil: SSH management, a rule on FORWARD, a raw-table rule.
      const before = {
        input: '-A INPUT -s 192.0.2.10/32 -p tcp -m tcp --dport 22 -m comment --comment mgmt -j ACCEPT',
        forward: '-A FORWARD -s 192.0.2.20/32 -m comment --comment backup -j ACCEPT',
        raw: '-A PREROUTING -s 192.0.2.30/32 -m comment --comment notrack -j CT --notrack',
      };
      inNs(['iptables', ...before.input.split(' ').map(unquote)]);
      inNs(['iptables', ...before.forward.split(' ').map(unquote)]);
      inNs(['iptables', '-t', 'raw', ...before.raw.split(' ').map(unquote)]);

      // The proposed policy has an FTP rule, so the file uses the raw table as well.
      const file = load(proposed, 4);
      expect(file).toContain('*raw');
      load(proposed, 4); // the same file again, as after every re-approval

      const filter = rulesOf('iptables', 'filter');
      expect(filter).toContain(before.input);
      expect(filter).toContain(before.forward);
      // One jump, first in FORWARD, so the policy decides forwarded traffic before the older rule.
      expect(filter.filter((l) => l.startsWith('-A FORWARD '))).toEqual([
        '-A FORWARD -j VIGIL-FORWARD',
        before.forward,
      ]);
      const chain = filter.filter((l) => l.startsWith('-A VIGIL-FORWARD '));
      // Exactly the file's rules, once (iptables-save spells addresses as /32 and splits address lists).
      expect(chain).toHaveLength(expandedCount(file, 'VIGIL-FORWARD'));
      expect(chain.at(-1)).toBe('-A VIGIL-FORWARD -m comment --comment "vigil: default deny" -j DROP');
      expect(chain.filter((l) => l.includes('default deny'))).toHaveLength(1);
      const raw = rulesOf('iptables', 'raw');
      expect(raw).toContain(before.raw);
      expect(raw.filter((l) => l === '-A PREROUTING -j VIGIL-PREROUTING')).toHaveLength(1);
      expect(raw.filter((l) => l.startsWith('-A VIGIL-PREROUTING '))).toHaveLength(
        expandedCount(file, 'VIGIL-PREROUTING'),
      );

      // A smaller policy replaces the chain's rules: none of the dropped rules' comments remain.
      const kept = proposed.rules.filter((r) => r.port !== 21).slice(0, 2);
      const dropped = proposed.rules.filter((r) => !kept.includes(r));
      const smaller = PolicySchema.parse({ ...proposed, rules: kept });
      load(smaller, 4);
      const after = rulesOf('iptables', 'filter');
      for (const r of dropped) expect(after.join('\n')).not.toContain(`--comment "${r.id}: `);
      for (const r of kept) expect(after.join('\n')).toContain(`--comment "${r.id}: `);
      expect(after).toContain(before.input);
      expect(after).toContain(before.forward);
      // No FTP rule left: the helper chain is no longer in the file, and a stale helper chain would
      // only mark connections no rule accepts, so it is left as it was.
      expect(toIptables(smaller, map, 4)).not.toContain('*raw');

      // IPv6 the same way, in its own tables.
      inNs(['ip6tables', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
      const v6 = load(proposed, 6);
      load(proposed, 6);
      const filter6 = rulesOf('ip6tables', 'filter');
      expect(filter6).toContain('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
      expect(filter6.filter((l) => l === '-A FORWARD -j VIGIL-FORWARD')).toHaveLength(1);
      expect(filter6.filter((l) => l.startsWith('-A VIGIL-FORWARD '))).toHaveLength(
        expandedCount(v6, 'VIGIL-FORWARD'),
      );
      expect(filter6.filter((l) => l.includes('default deny'))).toHaveLength(1);
    });

    it('nftables: replaces its own table on every load and leaves the other tables alone', () => {
      // The namespace exists from the test above when it ran; create it otherwise.
      spawnSync('ip', ['netns', 'add', NS], { stdio: 'ignore' });
      inNs(
        ['nft', '-f', '-'],
        'table inet hospital {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 22 accept comment "mgmt"\n\t}\n}\n',
      );
      const file = toNftables(proposed, map);
      inNs(['nft', '-f', '-'], file);
      inNs(['nft', '-f', '-'], file);
      const accepts = (text: string) =>
        text.split('\n').filter((l) => / accept comment "r\d+"$/.test(l.trim())).length;
      const loaded = inNs(['nft', 'list', 'table', 'inet', 'vigil']);
      // Twice loaded, once present: each rule of the file once in the kernel's table.
      expect(accepts(loaded)).toBe(accepts(file));
      expect(inNs(['nft', 'list', 'table', 'inet', 'hospital'])).toContain(
        'tcp dport 22 accept comment "mgmt"',
      );
      const kept = proposed.rules.filter((r) => r.port !== 21).slice(0, 2);
      const smaller = toNftables(PolicySchema.parse({ ...proposed, rules: kept }), map);
      inNs(['nft', '-f', '-'], smaller);
      const after = inNs(['nft', 'list', 'table', 'inet', 'vigil']);
      expect(accepts(after)).toBe(accepts(smaller));
      expect(after).not.toContain('vigil-ftp');
      expect(inNs(['nft', 'list', 'table', 'inet', 'hospital'])).toContain(
        'tcp dport 22 accept comment "mgmt"',
      );
    });
  },
);

/** The rule texts above quote their comments as iptables-save does; the command line takes them bare. */
function unquote(word: string): string {
  return word.replace(/^"|"$/g, '');
}
