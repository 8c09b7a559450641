/**
 * @module The conversations a policy is proposed from and simulated against, and adapters from the two
 * places they come from: a source's `FlowSummary` (captures analysed in-process) and the stored
 * communications. Pure.
 */
import type { FlowSummary } from '../discovery/host-observation.js';
import type { PolicyTransport } from './policy-model.js';

export interface PolicyFlow {
  /** The side that opened the connection. */
  client: string;
  server: string;
  /** Server port; 0 for ICMP. */
  port: number;
  transport: PolicyTransport;
  protocol: string | null;
  connections: number;
  firstSeen: string;
  lastSeen: string;
  /** TCP: false when the server only ever refused or left the attempts unanswered; absent or null: unknown. */
  established?: boolean | null;
  /** Where it was seen (file, packet), when the source says. */
  evidence?: { file?: string; packet?: number; time?: string; summary?: string };
}

export function fromFlowSummary(f: FlowSummary): PolicyFlow {
  return {
    client: f.client,
    server: f.server,
    port: f.transport === 'icmp' ? 0 : f.port,
    transport: f.transport,
    protocol: f.protocol,
    connections: f.connections,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    ...(f.established !== undefined ? { established: f.established } : {}),
    evidence: {
      file: f.evidence.file,
      ...(f.evidence.packet !== undefined ? { packet: f.evidence.packet } : {}),
      ...(f.evidence.time ? { time: f.evidence.time } : {}),
      summary: f.evidence.summary,
    },
  };
}

/** The stored communication shape (`store/communication-store.ts`), as far as the policy reads it. */
export interface CommunicationLike {
  clientIp: string;
  serverIp: string;
  port: number;
  transport: 'tcp' | 'udp' | 'icmp';
  protocol: string | null;
  connections: number;
  established?: boolean | null;
  firstSeen: string;
  lastSeen: string;
}

export function fromCommunication(c: CommunicationLike): PolicyFlow {
  return {
    client: c.clientIp,
    server: c.serverIp,
    port: c.transport === 'icmp' ? 0 : c.port,
    transport: c.transport,
    protocol: c.protocol,
    connections: c.connections,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    ...(c.established !== undefined ? { established: c.established } : {}),
    evidence: { summary: 'stored communication', time: c.lastSeen },
  };
}

/** `10.1.2.3 → 10.1.2.9:104/tcp` */
export function flowLabel(f: Pick<PolicyFlow, 'client' | 'server' | 'port' | 'transport'>): string {
  const host = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);
  return f.transport === 'icmp'
    ? `${f.client} → ${f.server} icmp`
    : `${f.client} → ${host(f.server)}:${f.port}/${f.transport}`;
}
