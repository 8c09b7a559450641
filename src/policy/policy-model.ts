/**
 * @module The segmentation policy: zones (the zones of network segments, plus `internet` and `unknown`),
 * device classes and departments, and allow rules "zone A class X → zone B class Y port/transport" (a
 * side may also or instead name a department), everything else denied. One zod schema is the JSON file format (`--policy FILE`), the stored document and the API body.
 * Pure: no I/O.
 */

import { isIP } from 'node:net';
import { z } from 'zod';
import { plural } from '../format-count.js';
import { parseCidr } from '../inventory/cidr.js';
import { parseIp } from '../inventory/identity.js';

/** Addresses outside every segment that are globally routable. */
export const INTERNET_ZONE = 'internet';
/** Private addresses outside every known segment. */
export const UNKNOWN_ZONE = 'unknown';

export const POLICY_TRANSPORTS = ['tcp', 'udp', 'icmp'] as const;
export type PolicyTransport = (typeof POLICY_TRANSPORTS)[number];

const zoneName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .transform((s) => s.toLowerCase());

/** An IP address or a CIDR block, written canonically. */
const hostSpec = z
  .string()
  .trim()
  .refine((s) => isIP(s) !== 0 || parseCidr(s).ok, 'not an IP address or CIDR block')
  .transform((s) => {
    if (isIP(s) !== 0) {
      const ip = parseIp(s);
      return ip.ok ? ip.value : s.toLowerCase();
    }
    const c = parseCidr(s);
    return c.ok ? c.value : s;
  });

export const EndpointSchema = z.strictObject({
  /** Segment zone (free text on segments, lower-cased), `internet` or `unknown`. */
  zone: zoneName,
  /** Device class (inventory vocabulary); absent = every device and address in the zone. */
  deviceClass: z.string().trim().min(1).max(100).optional(),
  /** Device department (inventory, compared case-insensitively); absent = every department. */
  department: z.string().trim().min(1).max(200).optional(),
  /** Only these addresses or CIDR blocks within the zone (proposals use it for internet flows). */
  hosts: z.array(hostSpec).min(1).max(10_000).optional(),
});
export type PolicyEndpoint = z.output<typeof EndpointSchema>;

export const RuleSchema = z
  .strictObject({
    /** Stable within the policy: `r1`, `r2` … or a name a person chose. */
    id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (at most 64)'),
    action: z.literal('allow').default('allow'),
    from: EndpointSchema,
    to: EndpointSchema,
    /** Server port; 0 for ICMP. */
    port: z.number().int().min(0).max(65_535),
    transport: z.enum(POLICY_TRANSPORTS),
    /** Application protocol for people (`dicom`, `hl7` …); firewalls match the port only. */
    protocol: z.string().trim().min(1).max(50).nullable().default(null),
    /** Why this is allowed; written as a comment into every export. */
    reason: z.string().trim().min(1, 'every rule needs a reason').max(500),
    /** Set on proposed rules a person must look at (internet flows) before approving. */
    review: z.boolean().default(false),
    /** What the proposal saw: connections and first/last time. */
    observed: z
      .strictObject({ connections: z.number().int().min(0), firstSeen: z.string(), lastSeen: z.string() })
      .optional(),
    /**
     * Proposals only: advisory port guidance ("close port 23") and MDS2 declarations that apply to the
     * rule's servers and port, with where each came from; `review` says whether it flagged the rule.
     */
    guidance: z
      .array(
        z.strictObject({
          source: z.enum(['advisory', 'mds2']),
          advisoryId: z.string().max(200).nullable(),
          path: z.string().max(500).nullable(),
          action: z.enum(['deny', 'restrict', 'exposure', 'undeclared']),
          sentence: z.string().max(5000),
          review: z.boolean(),
        }),
      )
      .max(1000)
      .optional(),
  })
  .refine((r) => (r.transport === 'icmp') === (r.port === 0), {
    message: 'ICMP rules have port 0; TCP and UDP rules a port from 1 to 65535',
    path: ['port'],
  });
export type PolicyRule = z.output<typeof RuleSchema>;

export const PolicySchema = z
  .strictObject({
    format: z.literal('vigil-policy').default('vigil-policy'),
    formatVersion: z.literal(1).default(1),
    name: z.string().trim().min(1).max(200).default('vigil'),
    /** Site id or name the policy covers; null = every site. */
    site: z.string().trim().min(1).nullable().default(null),
    /** Everything no rule allows is denied (the only default Vigil writes). */
    defaultAction: z.literal('deny').default('deny'),
    /** Proposals: how devices were grouped into rule sides (`propose.ts`); absent in hand-written files. */
    zones: z.enum(['class', 'department', 'class+department']).optional(),
    rules: z.array(RuleSchema).max(100_000),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: 'custom', message: `duplicate rule id "${r.id}"`, path: ['rules', i, 'id'] });
      seen.add(r.id);
    });
  });
export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** A rule's own words in one line, for tables and comments. */
export function describeRule(r: PolicyRule): string {
  const side = (e: PolicyEndpoint) =>
    `${e.zone}${e.deviceClass ? `/${e.deviceClass}` : ''}${e.department ? `@${e.department}` : ''}${e.hosts ? ` [${plural(e.hosts.length, 'host')}]` : ''}`;
  const svc = r.transport === 'icmp' ? 'icmp' : `${r.port}/${r.transport}`;
  return `${side(r.from)} → ${side(r.to)} ${svc}${r.protocol ? ` (${r.protocol})` : ''}`;
}
