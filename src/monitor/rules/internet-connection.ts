/**
 * @module Rule `internet-connection`: a conversation between a device (or any private address) and a
 * public, globally routed address, in either direction. Medical devices rarely need the internet; when one
 * does (vendor remote service), its active baseline allows `out:internet` or `in:internet` and the rule is
 * quiet. Attempts nobody answered count too: malware beaconing out is often refused.
 */
import { isPublicIp } from '../../risk/exposure.js';
import type { AlertCandidate } from '../alert-candidate.js';
import { isMedical } from '../baseline/peer-role.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  flowSubject,
  service,
  verdict,
} from './flow-rule-context.js';

export const INTERNET_CONNECTION_RULE = 'internet-connection';

export function internetConnections(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const f of run.result.flows ?? []) {
    const clientPublic = isPublicIp(f.client);
    const serverPublic = isPublicIp(f.server);
    if (clientPublic === serverPublic) continue;
    const dir = serverPublic ? 'out' : 'in';
    const localIp = serverPublic ? f.client : f.server;
    const publicIp = serverPublic ? f.server : f.client;
    const local = deviceAt(ctx, localIp);
    if (local && verdict(ctx, local, 'peer', `${dir}:internet`) === 'allowed') continue;
    const medical = local ? isMedical(local) : false;
    out.push({
      rule: INTERNET_CONNECTION_RULE,
      severity: medical ? 'high' : 'medium',
      title: `${describeEnd(local, localIp)} ${dir === 'out' ? 'connected to' : 'was reached from'} internet address ${publicIp} on ${service(f)}`,
      deviceId: local?.id ?? null,
      siteId: local?.siteId ?? null,
      subject: flowSubject(f),
      evidence: [flowEvidence(f, `${dir === 'out' ? 'outbound' : 'inbound'} internet connection`)],
      details: {
        direction: dir === 'out' ? 'outbound' : 'inbound',
        publicAddress: publicIp,
        port: f.port,
        transport: f.transport,
        protocol: f.protocol ?? 'unknown',
        established: f.established ?? true,
        medical,
      },
    });
  }
  return out;
}

export function internetConnectionRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: INTERNET_CONNECTION_RULE,
    description: 'A conversation to or from a public (internet) address not allowed by the active baseline',
    evaluate: (run) => internetConnections(ctx, run),
  };
}
