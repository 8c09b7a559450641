/**
 * @module The policy as Cisco IOS named extended access lists: `ip access-list extended VIGIL-POLICY` and
 * `ipv6 access-list VIGIL-POLICY-V6`, a `remark` per rule with its id and reason, one `permit` per address
 * pair and port, return traffic of TCP sessions by `established`, and an explicit logged deny at the end.
 * Apply inbound on the interface facing the clients. UDP replies need reflexive ACLs or a zone-based
 * firewall (see docs/policy.md).
 * @see Cisco IOS Security Configuration Guide, "IP Access List Entry Sequence Numbering" / extended ACL
 * syntax (`permit protocol source wildcard destination wildcard eq port`), "IPv6 Access Control Lists"
 */
import { isIP } from 'node:net';
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy, PolicyRule } from '../policy-model.js';
import { type AddressSet, commentText, header, resolveRules, ruleHeading } from './export-rules.js';

export const IPV4_ACL = 'VIGIL-POLICY';
export const IPV6_ACL = 'VIGIL-POLICY-V6';

/** `host A`, `A WILDCARD` for an IPv4 block, `A/LEN` for an IPv6 prefix, `any`. */
function ios(spec: string): string {
  const [addr, lenText] = spec.split('/') as [string, string | undefined];
  const v6 = isIP(addr) === 6;
  if (lenText === undefined || Number(lenText) === (v6 ? 128 : 32)) return `host ${addr}`;
  if (v6) return spec;
  const len = Number(lenText);
  const wildcard = len === 0 ? 0xffffffff : (2 ** (32 - len) - 1) >>> 0;
  const w = [wildcard >>> 24, (wildcard >>> 16) & 255, (wildcard >>> 8) & 255, wildcard & 255].join('.');
  return len === 0 ? 'any' : `${addr} ${w}`;
}

function permits(from: AddressSet, to: AddressSet, rule: PolicyRule): string[] {
  const src = from === 'any' ? ['any'] : from.map(ios);
  const dst = to === 'any' ? ['any'] : to.map(ios);
  const proto = rule.transport === 'icmp' ? 'icmp' : rule.transport;
  const port = rule.transport === 'icmp' ? '' : ` eq ${rule.port}`;
  const out: string[] = [];
  for (const s of src) for (const d of dst) out.push(` permit ${proto} ${s} ${d}${port}`);
  return out;
}

export function toCiscoIos(policy: Policy, map: NetworkMap): string {
  const resolved = resolveRules(policy, map);
  const lines = header(policy, 'cisco-ios').map((l) => `! ${l}`);
  for (const v6 of [false, true]) {
    lines.push('!', v6 ? `no ipv6 access-list ${IPV6_ACL}` : `no ip access-list extended ${IPV4_ACL}`);
    lines.push(v6 ? `ipv6 access-list ${IPV6_ACL}` : `ip access-list extended ${IPV4_ACL}`);
    lines.push(' remark return traffic of permitted TCP sessions');
    lines.push(` permit tcp any any established`);
    for (const r of resolved) {
      const sets = v6 ? r.ipv6 : r.ipv4;
      // IOS remarks hold at most 100 characters.
      lines.push(` remark ${commentText(ruleHeading(r.rule), 100)}`);
      lines.push(` remark ${commentText(r.rule.reason, 100)}`);
      if (sets) lines.push(...permits(sets.from, sets.to, r.rule));
      else lines.push(` remark skipped: no IPv${v6 ? 6 : 4} address for one side`);
    }
    lines.push(v6 ? ' deny ipv6 any any log' : ' deny ip any any log');
  }
  lines.push('end', '');
  return lines.join('\n');
}
