/**
 * @module Rule `new-peer`: a device with an active baseline talked with a peer whose role (model, device
 * class, `internet`, or an unclassified peer itself) in that direction is not in its own or its model's
 * baseline, or is denied there. Unanswered TCP attempts are left to `port-scan`.
 */
import type { AlertCandidate } from '../alert-candidate.js';
import { peerRole } from '../baseline/peer-role.js';
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

export const NEW_PEER_RULE = 'new-peer';

export function newPeers(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const f of run.result.flows ?? []) {
    if (!conversed(f)) continue;
    const client = deviceAt(ctx, f.client);
    const server = deviceAt(ctx, f.server);
    const ends = [
      { self: client, peer: server, peerIp: f.server, dir: 'out' as const },
      { self: server, peer: client, peerIp: f.client, dir: 'in' as const },
    ];
    for (const { self, peer, peerIp, dir } of ends) {
      if (!self || self.id === peer?.id) continue;
      const role = peerRole(peer, peerIp);
      const v = verdict(ctx, self, 'peer', `${dir}:${role}`);
      if (v !== 'unknown' && v !== 'denied') continue;
      const selfIp = dir === 'out' ? f.client : f.server;
      out.push({
        rule: NEW_PEER_RULE,
        severity: role === 'internet' || v === 'denied' ? 'high' : 'medium',
        title: `${describeEnd(self, selfIp)} ${dir === 'out' ? 'connected to' : 'was reached by'} a peer outside its baseline: ${describeEnd(peer, peerIp)} on ${service(f)}`,
        deviceId: self.id,
        siteId: self.siteId,
        subject: `${dir}:${flowSubject(f)}`,
        evidence: [
          flowEvidence(f, v === 'denied' ? 'peer denied in the baseline' : 'peer not in the baseline'),
        ],
        details: {
          direction: dir === 'out' ? 'outbound' : 'inbound',
          peer: peerIp,
          peerRole: role,
          port: f.port,
          transport: f.transport,
          protocol: f.protocol ?? 'unknown',
          verdict: v,
        },
      });
    }
  }
  return out;
}

export function newPeerRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: NEW_PEER_RULE,
    description:
      "A device talked with a peer (by role and direction) outside its own or its model's active baseline",
    evaluate: (run) => newPeers(ctx, run),
  };
}
