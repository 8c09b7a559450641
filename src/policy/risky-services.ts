/**
 * @module Vigil's built-in knowledge of risky services (`risky-services.json`, data with sources), validated
 * once at load, and the lookup from an observed service to the entry it is. Pure.
 */
import { z } from 'zod';
import data from './risky-services.json' with { type: 'json' };

const RiskyServiceSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  transport: z.enum(['tcp', 'udp']),
  ports: z.array(z.number().int().min(1).max(65_535)),
  protocols: z.array(z.string().min(1)),
  /** When present, only these service versions are risky (SMB dialects, SNMP versions). */
  versions: z.array(z.string().min(1)).optional(),
  /** Only when the service is not seen encrypted (HTTP admin, not HTTPS on the same port). */
  cleartextOnly: z.boolean().optional(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  why: z.string().min(1),
  action: z.string().min(1),
  references: z.array(z.url()).min(1),
});
export type RiskyService = z.output<typeof RiskyServiceSchema>;

export const RISKY_SERVICES: readonly RiskyService[] = z
  .strictObject({ $comment: z.string(), services: z.array(RiskyServiceSchema) })
  .parse(data).services;

export interface ServiceKey {
  port: number;
  transport: string;
  protocol: string | null;
  version?: string | null;
  encrypted?: boolean | null;
}

/**
 * The risky-service entry an observed service is, if any: by protocol (any port) when Vigil recognised
 * one, else by well-known port. A version list narrows the entry (SMB 3 on 445 is not SMBv1).
 */
export function riskyServiceOf(s: ServiceKey): RiskyService | undefined {
  return RISKY_SERVICES.find((r) => {
    if (r.transport !== s.transport) return false;
    const byProtocol = s.protocol !== null && r.protocols.includes(s.protocol);
    const byPort =
      r.ports.includes(s.port) && (s.protocol === null || r.protocols.length === 0 || byProtocol);
    if (!byProtocol && !byPort) return false;
    if (r.cleartextOnly && s.encrypted === true) return false;
    if (r.versions)
      return s.version != null && r.versions.some((v) => v.toLowerCase() === s.version!.toLowerCase());
    return true;
  });
}
