/**
 * @module The policy as `iptables-restore --noflush` input (IPv4) and `ip6tables-restore --noflush` input
 * (IPv6), in chains of Vigil's own so that loading it never touches the firewall's other rules: the
 * filter table's `VIGIL-FORWARD` accepts replies of allowed connections (conntrack), then each rule's
 * addresses and port with the rule id and reason in a `comment` match, and drops the rest; FTP sessions
 * get the FTP conntrack helper from the raw table's `VIGIL-PREROUTING` (their data connections are
 * RELATED). Without `--noflush`, iptables-restore would flush every chain of the tables the file names
 * (INPUT and OUTPUT as well: management access included); with it, declaring a chain of one's own empties
 * only that chain, so each load replaces Vigil's rules and nothing else. The jumps from FORWARD and
 * PREROUTING into these chains are added once, by the commands the file's header gives.
 * @see iptables-restore(8) "--noflush", iptables-extensions(8) "conntrack", "comment", "CT"
 */
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy, PolicyRule } from '../policy-model.js';
import { isFtpControlRule } from '../simulate.js';
import { type AddressSet, commentText, header, resolveRules, ruleHeading } from './export-rules.js';

/** The filter-table chain that holds the policy; FORWARD jumps to it. */
export const IPTABLES_FORWARD_CHAIN = 'VIGIL-FORWARD';
/** The raw-table chain that attaches the FTP helper; PREROUTING jumps to it. */
export const IPTABLES_HELPER_CHAIN = 'VIGIL-PREROUTING';

function line(
  family: 4 | 6,
  from: AddressSet,
  to: AddressSet,
  rule: PolicyRule,
  chain = IPTABLES_FORWARD_CHAIN,
  comment = `${rule.id}: ${rule.reason}`,
  target = '-j ACCEPT',
): string {
  const parts = [`-A ${chain}`];
  // iptables expands a comma-separated address list into one rule per address.
  if (from !== 'any') parts.push(`-s ${from.join(',')}`);
  if (to !== 'any') parts.push(`-d ${to.join(',')}`);
  if (rule.transport === 'icmp') parts.push(family === 4 ? '-p icmp' : '-p ipv6-icmp');
  else parts.push(`-p ${rule.transport} -m ${rule.transport} --dport ${rule.port}`);
  // The comment match takes at most 256 characters.
  parts.push(`-m comment --comment "${commentText(comment, 250)}"`, target);
  return parts.join(' ');
}

/** How to load the file, first and every later time (the jumps are not in the file: see the module). */
function usage(family: 4 | 6, ftp: boolean): string[] {
  const cmd = family === 4 ? 'iptables' : 'ip6tables';
  const hook = (table: string, chain: string, target: string) =>
    `  ${cmd} -t ${table} -C ${chain} -j ${target} 2>/dev/null || ${cmd} -t ${table} -I ${chain} 1 -j ${target}`;
  return [
    `load (replaces only Vigil's chains): ${cmd}-restore --noflush FILE`,
    `never without --noflush: that would flush every chain of the ${ftp ? 'filter and raw tables' : 'filter table'}`,
    'then, once, send forwarded traffic through them (first, so the policy decides it):',
    hook('filter', 'FORWARD', IPTABLES_FORWARD_CHAIN),
    ...(ftp ? [hook('raw', 'PREROUTING', IPTABLES_HELPER_CHAIN)] : []),
  ];
}

export function toIptables(policy: Policy, map: NetworkMap, family: 4 | 6 = 4): string {
  const rules = resolveRules(policy, map);
  // FTP sessions get the kernel's FTP helper (raw table, before conntrack), so their data connections on
  // ephemeral ports are RELATED and accepted by the policy chain's first rule.
  const ftp = rules.flatMap((r) => {
    const sets = family === 4 ? r.ipv4 : r.ipv6;
    if (!sets || !isFtpControlRule(r.rule)) return [];
    return [line(family, sets.from, sets.to, r.rule, IPTABLES_HELPER_CHAIN, r.rule.id, '-j CT --helper ftp')];
  });
  const restore = family === 4 ? 'iptables-restore' : 'ip6tables-restore';
  const lines = [...header(policy, `${restore} --noflush`), ...usage(family, ftp.length > 0)].map(
    (l) => `# ${l}`,
  );
  // With --noflush, declaring a chain of one's own creates it, or empties it when it exists.
  if (ftp.length) lines.push('*raw', `:${IPTABLES_HELPER_CHAIN} - [0:0]`, ...ftp, 'COMMIT');
  lines.push(
    '*filter',
    `:${IPTABLES_FORWARD_CHAIN} - [0:0]`,
    `-A ${IPTABLES_FORWARD_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    `-A ${IPTABLES_FORWARD_CHAIN} -m conntrack --ctstate INVALID -j DROP`,
  );
  for (const r of rules) {
    lines.push(`# ${ruleHeading(r.rule)}`);
    const sets = family === 4 ? r.ipv4 : r.ipv6;
    if (sets) lines.push(line(family, sets.from, sets.to, r.rule));
    else lines.push(`# skipped: no IPv${family} address resolves for one of its sides`);
  }
  lines.push(
    '# default deny: forwarded traffic no rule above allows',
    `-A ${IPTABLES_FORWARD_CHAIN} -m comment --comment "vigil: default deny" -j DROP`,
    'COMMIT',
    '',
  );
  return lines.join('\n');
}
