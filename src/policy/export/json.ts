/**
 * @module The vendor-neutral JSON export: the policy as written plus, per rule, the IPv4 and IPv6
 * addresses each side resolved to, so other tools (firewall managers, NAC) can enforce it without
 * knowing Vigil's inventory. Keys in a fixed order: the output is byte-for-byte stable.
 */
import { isLinkLocal } from '../non-segment-traffic.js';
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy, PolicyEndpoint } from '../policy-model.js';
import { resolveRules } from './export-rules.js';

/** A side as written, without link-local hosts: like the other formats, the export never writes one. */
const side = (e: PolicyEndpoint): PolicyEndpoint =>
  e.hosts ? { ...e, hosts: e.hosts.filter((h) => !isLinkLocal(h.split('/')[0]!)) } : e;

export interface JsonPolicyExport {
  format: 'vigil-policy-export';
  formatVersion: 1;
  name: string;
  site: string | null;
  defaultAction: 'deny';
  rules: {
    id: string;
    action: 'allow';
    from: Policy['rules'][number]['from'];
    to: Policy['rules'][number]['to'];
    port: number;
    transport: 'tcp' | 'udp' | 'icmp';
    protocol: string | null;
    reason: string;
    review: boolean;
    addresses: {
      ipv4: { from: string[] | 'any'; to: string[] | 'any' } | null;
      ipv6: { from: string[] | 'any'; to: string[] | 'any' } | null;
    };
  }[];
}

export function toJsonExport(policy: Policy, map: NetworkMap): JsonPolicyExport {
  return {
    format: 'vigil-policy-export',
    formatVersion: 1,
    name: policy.name,
    site: policy.site,
    defaultAction: 'deny',
    rules: resolveRules(policy, map).map(({ rule, ipv4, ipv6 }) => ({
      id: rule.id,
      action: 'allow',
      from: side(rule.from),
      to: side(rule.to),
      port: rule.port,
      transport: rule.transport,
      protocol: rule.protocol,
      reason: rule.reason,
      review: rule.review,
      addresses: { ipv4: ipv4 ?? null, ipv6: ipv6 ?? null },
    })),
  };
}

export function toJson(policy: Policy, map: NetworkMap): string {
  return `${JSON.stringify(toJsonExport(policy, map), null, 2)}\n`;
}
