/**
 * @module Rule `new-listening-service`: a device with an active baseline answered on a port (TCP
 * handshake completed, or UDP) that is neither in its own or its model's baseline nor among the services
 * its manufacturer declares for the model. Also fires for a service denied by hand in the baseline.
 */
import { isFtpData } from '../../discovery/host-observation.js';
import type { AlertCandidate } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  conversed,
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  ownTraffic,
  service,
  verdict,
} from './flow-rule-context.js';

export const NEW_LISTENING_SERVICE_RULE = 'new-listening-service';

export function newListeningServices(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const out = new Map<string, AlertCandidate>();
  for (const f of run.result.flows ?? []) {
    if (f.transport === 'icmp' || !conversed(f) || isFtpData(f)) continue;
    const server = deviceAt(ctx, f.server);
    if (!server) continue;
    const svc = service(f);
    const v = verdict(ctx, server, 'service', svc);
    if (v === 'no-baseline' || v === 'allowed') continue;
    // Answering itself teaches no baseline a service; a service denied by hand answered all the same.
    if (v === 'unknown' && ownTraffic(server, deviceAt(ctx, f.client))) continue;
    if (v === 'unknown' && server.modelId && ctx.declaredServices.get(server.modelId)?.has(svc)) continue;
    const subject = `${server.id}:${svc}`;
    const prev = out.get(subject);
    const ev = flowEvidence(
      f,
      v === 'denied' ? 'service denied in the baseline answered' : 'service not in the baseline answered',
    );
    if (prev) {
      if (prev.evidence.length < 5) prev.evidence.push(ev);
      continue;
    }
    out.set(subject, {
      rule: NEW_LISTENING_SERVICE_RULE,
      severity: v === 'denied' ? 'high' : 'medium',
      title: `${describeEnd(server, f.server)} answered on ${svc}${f.protocol ? ` (${f.protocol})` : ''}, a service outside its baseline`,
      deviceId: server.id,
      siteId: server.siteId,
      subject: svc,
      evidence: [ev],
      details: { port: f.port, transport: f.transport, protocol: f.protocol ?? 'unknown', verdict: v },
    });
  }
  return [...out.values()];
}

export function newListeningServiceRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: NEW_LISTENING_SERVICE_RULE,
    description:
      'A device answered on a service that is not in its active baseline nor declared for its model',
    evaluate: (run) => newListeningServices(ctx, run),
  };
}
