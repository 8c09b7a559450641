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

export function diffPolicies(current: Policy | null, next: Policy): PolicyDiff {
  const before = new Map((current?.rules ?? []).map((r) => [key(r), r]));
  const after = new Map(next.rules.map((r) => [key(r), r]));
  const out: PolicyDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const [k, r] of after) {
    const old = before.get(k);
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
  for (const [k, r] of before) if (!after.has(k)) out.removed.push({ id: r.id, rule: describeRule(r) });
  return out;
}
