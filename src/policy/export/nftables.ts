/**
 * @module The policy as an nftables ruleset (`nft -f`): one `inet vigil` table whose forward chain drops by
 * default, accepts replies of allowed connections, and accepts each rule's addresses and port with the
 * rule id as the nft comment and its reason as a `#` comment; FTP sessions get the FTP conntrack helper
 * (their data connections are related). Re-loading replaces the table atomically.
 * @see nft(8) "RULESET", "SETS" (anonymous sets), "CONNTRACK EXPRESSIONS", "COMMENTS"
 */
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy, PolicyRule } from '../policy-model.js';
import { isFtpControlRule } from '../simulate.js';
import { type AddressSet, commentText, header, resolveRules, ruleHeading } from './export-rules.js';

const set = (s: string[]) => (s.length === 1 ? s[0]! : `{ ${s.join(', ')} }`);

function match(
  family: 'ip' | 'ip6',
  from: AddressSet,
  to: AddressSet,
  rule: PolicyRule,
  verdict = `accept comment "${commentText(rule.id, 120)}"`,
): string {
  const parts: string[] = [];
  if (from !== 'any') parts.push(`${family} saddr ${set(from)}`);
  if (to !== 'any') parts.push(`${family} daddr ${set(to)}`);
  if (rule.transport === 'icmp') parts.push(`meta l4proto ${family === 'ip' ? 'icmp' : 'ipv6-icmp'}`);
  // With no address on either side the family still has to be pinned, or the rule would cover both.
  else if (from === 'any' && to === 'any') parts.push(`meta nfproto ${family === 'ip' ? 'ipv4' : 'ipv6'}`);
  if (rule.transport !== 'icmp') parts.push(`${rule.transport} dport ${rule.port}`);
  parts.push(verdict);
  return parts.join(' ');
}

/**
 * FTP sessions get the kernel's FTP helper, so their data connections (ephemeral ports announced on the
 * control connection) are `related` and pass the forward chain's first rule; no rule opens those ports.
 * @see nft(8) "CT HELPER", the nftables wiki "Conntrack helpers"
 */
function ftpHelper(rules: ReturnType<typeof resolveRules>): string[] {
  const lines: string[] = [];
  for (const r of rules.filter((x) => isFtpControlRule(x.rule))) {
    const verdict = `ct helper set "vigil-ftp" comment "${commentText(r.rule.id, 120)}"`;
    if (r.ipv4) lines.push(`\t\t${match('ip', r.ipv4.from, r.ipv4.to, r.rule, verdict)}`);
    if (r.ipv6) lines.push(`\t\t${match('ip6', r.ipv6.from, r.ipv6.to, r.rule, verdict)}`);
  }
  if (!lines.length) return [];
  return [
    '\tct helper vigil-ftp {',
    '\t\ttype "ftp" protocol tcp;',
    '\t}',
    '\tchain prerouting {',
    '\t\ttype filter hook prerouting priority filter; policy accept;',
    '\t\t# FTP sessions the policy allows: their data connections become related (accepted below)',
    ...lines,
    '\t}',
  ];
}

export function toNftables(policy: Policy, map: NetworkMap): string {
  const lines = header(policy, 'nftables').map((l) => `# ${l}`);
  const rules = resolveRules(policy, map);
  lines.push(
    'table inet vigil',
    'delete table inet vigil',
    'table inet vigil {',
    ...ftpHelper(rules),
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tct state established,related accept comment "replies of allowed connections"',
    '\t\tct state invalid drop',
  );
  for (const r of rules) {
    lines.push(`\t\t# ${ruleHeading(r.rule)}`, `\t\t# reason: ${commentText(r.rule.reason, 400)}`);
    if (r.skipped) lines.push(`\t\t# skipped: ${r.skipped}`);
    if (r.ipv4) lines.push(`\t\t${match('ip', r.ipv4.from, r.ipv4.to, r.rule)}`);
    if (r.ipv6) lines.push(`\t\t${match('ip6', r.ipv6.from, r.ipv6.to, r.rule)}`);
  }
  lines.push('\t}', '}', '');
  return lines.join('\n');
}
