/**
 * @module Rule `lateral-medical`: two medical devices talked although neither one's active baseline (own or
 * model's) has the other's role as a peer in that direction: medical devices talk to their servers (PACS,
 * interface engine, gateway), rarely to each other, and lateral movement between them is how an intrusion
 * spreads. Only conversations (answered TCP, UDP, ICMP) count.
 */
import type { AlertCandidate } from '../alert-candidate.js';
import { isMedical, peerRole } from '../baseline/peer-role.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  conversed,
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  flowSubject,
  service,
  verdict,
} from './flow-rule-context.js';

export const LATERAL_MEDICAL_RULE = 'lateral-medical';

export function lateralMedical(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const f of run.result.flows ?? []) {
    if (!conversed(f)) continue;
    const client = deviceAt(ctx, f.client);
    const server = deviceAt(ctx, f.server);
    if (!client || !server || client.id === server.id || !isMedical(client) || !isMedical(server)) continue;
    const fromClient = verdict(ctx, client, 'peer', `out:${peerRole(server, f.server)}`);
    const fromServer = verdict(ctx, server, 'peer', `in:${peerRole(client, f.client)}`);
    // Known to either side, or nobody has an active baseline to compare with: not lateral.
    if (fromClient === 'allowed' || fromServer === 'allowed') continue;
    if (fromClient === 'no-baseline' && fromServer === 'no-baseline') continue;
    out.push({
      rule: LATERAL_MEDICAL_RULE,
      severity: 'high',
      title: `Medical devices that never talk did: ${describeEnd(client, f.client)} → ${describeEnd(server, f.server)} on ${service(f)}`,
      deviceId: client.id,
      siteId: client.siteId ?? server.siteId,
      subject: flowSubject(f),
      evidence: [flowEvidence(f, 'connection between two medical devices outside their baselines')],
      details: {
        clientDevice: client.id,
        serverDevice: server.id,
        clientClass: client.deviceClass,
        serverClass: server.deviceClass,
        port: f.port,
        transport: f.transport,
        protocol: f.protocol ?? 'unknown',
      },
    });
  }
  return out;
}

export function lateralMedicalRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: LATERAL_MEDICAL_RULE,
    description: 'Two medical devices talked that their active baselines say never talk',
    evaluate: (run) => lateralMedical(ctx, run),
  };
}
