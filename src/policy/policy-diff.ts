/**
 * @module The difference between two policies (the approved one and a proposal, or a file): rules added,
 * removed and changed, compared by what they allow (sides, port, transport), not by id. Pure.
 */
import { describeRule, type Policy, type PolicyEndpoint, type PolicyRule } from './policy-model.js';

export interface PolicyDiff {
  added: { id: string; rule: string }[];
  removed: { id: string; rule: string }[];
  /** Same sides and service, different hosts, protocol or reason. */
  changed: { from: string; to: string; rule: string; fields: string[] }[];
  unchanged: number;
}

const side = (e: PolicyEndpoint) =>
  `${e.zone}/${e.deviceClass ?? '*'}${e.department ? `@${e.department.toLowerCase()}` : ''}`;
const key = (r: PolicyRule) => `${side(r.from)}>${side(r.to)}>${r.port}/${r.transport}`;

const hostsOf = (r: PolicyRule) =>
  `${JSON.stringify(r.from.hosts ?? null)}>${JSON.stringify(r.to.hosts ?? null)}`;

/**
 * Several rules can share sides and service and differ in hosts only (each device of unknown class, each
 * scanner, each internet peer is pinned to its own addresses), so rules are paired in two passes: first
 * those with the same hosts, then what is left of the same sides and service, in policy order ("changed").
 */
export function diffPolicies(current: Policy | null, next: Policy): PolicyDiff {
  const before = new Map<string, PolicyRule[]>();
  for (const r of current?.rules ?? []) before.set(key(r), [...(before.get(key(r)) ?? []), r]);
  const pair = new Map<PolicyRule, PolicyRule>();
  const take = (r: PolicyRule, same: boolean) => {
    const left = before.get(key(r)) ?? [];
    const i = same ? left.findIndex((o) => hostsOf(o) === hostsOf(r)) : left.length ? 0 : -1;
    if (i >= 0) pair.set(r, left.splice(i, 1)[0]!);
  };
  for (const r of next.rules) take(r, true);
  for (const r of next.rules) if (!pair.has(r)) take(r, false);
  const out: PolicyDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const r of next.rules) {
    const old = pair.get(r);
    if (!old) {
      out.added.push({ id: r.id, rule: describeRule(r) });
      continue;
    }
    const fields: string[] = [];
    if (JSON.stringify(old.from.hosts ?? null) !== JSON.stringify(r.from.hosts ?? null))
      fields.push('from.hosts');
    if (JSON.stringify(old.to.hosts ?? null) !== JSON.stringify(r.to.hosts ?? null)) fields.push('to.hosts');
    if (old.protocol !== r.protocol) fields.push('protocol');
    if (old.reason !== r.reason) fields.push('reason');
    if (fields.length) out.changed.push({ from: old.id, to: r.id, rule: describeRule(r), fields });
    else out.unchanged++;
  }
  const paired = new Set(pair.values());
  for (const r of current?.rules ?? [])
    if (!paired.has(r)) out.removed.push({ id: r.id, rule: describeRule(r) });
  return out;
}
