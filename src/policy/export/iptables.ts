/**
 * @module The policy as `iptables-restore` input (IPv4) and `ip6tables-restore` input (IPv6): the filter
 * table's FORWARD chain drops by default, accepts replies of allowed connections (conntrack), and
 * accepts each rule's addresses and port with the rule id and reason in a `comment` match; FTP sessions
 * get the FTP conntrack helper in the raw table (their data connections are RELATED).
 * @see iptables-restore(8), iptables-extensions(8) "conntrack", "comment", "multiport"
 */
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy, PolicyRule } from '../policy-model.js';
import { isFtpControlRule } from '../simulate.js';
import { type AddressSet, commentText, header, resolveRules, ruleHeading } from './export-rules.js';

function line(
  family: 4 | 6,
  from: AddressSet,
  to: AddressSet,
  rule: PolicyRule,
  chain = 'FORWARD',
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

export function toIptables(policy: Policy, map: NetworkMap, family: 4 | 6 = 4): string {
  const lines = header(policy, family === 4 ? 'iptables-restore' : 'ip6tables-restore').map((l) => `# ${l}`);
  const rules = resolveRules(policy, map);
  // FTP sessions get the kernel's FTP helper (raw table, before conntrack), so their data connections on
  // ephemeral ports are RELATED and accepted by the FORWARD chain's first rule.
  const ftp = rules.flatMap((r) => {
    const sets = family === 4 ? r.ipv4 : r.ipv6;
    if (!sets || !isFtpControlRule(r.rule)) return [];
    return [line(family, sets.from, sets.to, r.rule, 'PREROUTING', r.rule.id, '-j CT --helper ftp')];
  });
  if (ftp.length) lines.push('*raw', ...ftp, 'COMMIT');
  lines.push(
    '*filter',
    ':FORWARD DROP [0:0]',
    '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
  );
  for (const r of rules) {
    lines.push(`# ${ruleHeading(r.rule)}`);
    const sets = family === 4 ? r.ipv4 : r.ipv6;
    if (sets) lines.push(line(family, sets.from, sets.to, r.rule));
    else lines.push(`# skipped: no IPv${family} address resolves for one of its sides`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}
