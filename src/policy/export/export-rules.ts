/**
 * @module What every firewall export shares: each rule's two sides resolved to addresses from the
 * inventory (hosts, else the zone's devices of the class, else the zone's segments), link-local addresses
 * left out, split into IPv4 and IPv6, sorted, and the rule's reason made safe for a one-line comment. Pure.
 */

import { isIP } from 'node:net';
import { plural } from '../../format-count.js';
import { isLinkLocal } from '../non-segment-traffic.js';
import type { NetworkMap } from '../policy-inventory.js';
import { describeRule, type Policy, type PolicyRule } from '../policy-model.js';

/** Addresses of one side for one IP family; `any` = no address restriction. */
export type AddressSet = string[] | 'any';

export interface ResolvedRule {
  rule: PolicyRule;
  /** Per family: the source and destination sets, absent when a side has no address of that family. */
  ipv4?: { from: AddressSet; to: AddressSet };
  ipv6?: { from: AddressSet; to: AddressSet };
  /** Why nothing is emitted for the rule (no addresses resolved), for a comment. */
  skipped?: string;
}

const familyOf = (spec: string) => isIP(spec.split('/')[0]!);

/**
 * A link-local address (or a block inside fe80::/10 or 169.254/16) is never written: it is only valid on
 * its own link, so a firewall between segments never forwards it, and a device's fe80:: address would
 * otherwise come along with its other addresses.
 */
const routable = (spec: string) => !isLinkLocal(spec.split('/')[0]!);

function split(set: string[] | 'any'): { v4: AddressSet; v6: AddressSet } {
  if (set === 'any') return { v4: 'any', v6: 'any' };
  const kept = set.filter(routable);
  return { v4: kept.filter((a) => familyOf(a) === 4), v6: kept.filter((a) => familyOf(a) === 6) };
}

const empty = (s: AddressSet) => s !== 'any' && s.length === 0;

export function resolveRules(policy: Policy, map: NetworkMap): ResolvedRule[] {
  return policy.rules.map((rule) => {
    const from = split(map.addressesOf(rule.from));
    const to = split(map.addressesOf(rule.to));
    const out: ResolvedRule = { rule };
    if (!empty(from.v4) && !empty(to.v4) && !(from.v4 === 'any' && to.v4 === 'any'))
      out.ipv4 = { from: from.v4, to: to.v4 };
    if (!empty(from.v6) && !empty(to.v6) && !(from.v6 === 'any' && to.v6 === 'any'))
      out.ipv6 = { from: from.v6, to: to.v6 };
    if (!out.ipv4 && !out.ipv6)
      out.skipped =
        'no device or segment address (other than link-local) resolves for one of its sides (nothing emitted)';
    return out;
  });
}

/** One line of text safe inside any firewall comment: printable ASCII, no quotes, bounded. */
export function commentText(s: string, max = 120): string {
  const clean = s
    .normalize('NFKD')
    .replace(/→/g, '->')
    .replace(/–/g, '-')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["'\\`$;{}#]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

export function ruleHeading(rule: PolicyRule): string {
  return commentText(`${rule.id}: ${describeRule(rule)}`, 200);
}

export function header(policy: Policy, format: string): string[] {
  return [
    `Vigil segmentation policy "${commentText(policy.name, 80)}" (${plural(policy.rules.length, 'allow rule')}, default deny)`,
    `format ${format}; generated from the policy and the inventory's device addresses; do not edit by hand`,
  ];
}
