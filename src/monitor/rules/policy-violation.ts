/**
 * @module Rule `policy-violation`: a conversation the approved segmentation policy does not allow (no
 * allow rule matches it, so the default deny would block it). Pure: the approved policy and the network
 * map come in with the rule (`policyViolationRule`), the flows from the source run or stored
 * communications. One alert per client, server and service, carrying where the flow was seen.
 */

import { plural } from '../../format-count.js';
import { flowLabel, fromFlowSummary, type PolicyFlow } from '../../policy/policy-flow.js';
import type { NetworkMap } from '../../policy/policy-inventory.js';
import { INTERNET_ZONE, type Policy } from '../../policy/policy-model.js';
import { decideFlow, placeOf } from '../../policy/simulate.js';
import type { AlertCandidate, AlertSeverity } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';

export const POLICY_VIOLATION_RULE = 'policy-violation';

export interface PolicyContext {
  policy: Policy;
  /** Id of the approved policy version, for the alert details. */
  policyId: string | null;
  map: NetworkMap;
  /**
   * The site a site's policy covers: only flows with an end at that site are judged by it (its map
   * knows no other site's hosts, so it would call every other site's traffic unknown and blocked).
   * Absent or null: the policy for every site, which judges every flow.
   */
  siteId?: string | null;
}

export function policyViolations(
  ctx: PolicyContext,
  flows: readonly PolicyFlow[],
  at: string,
): AlertCandidate[] {
  const out = new Map<string, AlertCandidate>();
  const site = ctx.siteId ?? null;
  for (const flow of flows) {
    if (site && ctx.map.resolve(flow.client).siteId !== site && ctx.map.resolve(flow.server).siteId !== site)
      continue;
    // Refused or unanswered attempts still show intent; the flow is reported either way.
    const d = decideFlow(ctx.policy, ctx.map, flow);
    if (d.decision !== 'blocked') continue;
    const service = flow.transport === 'icmp' ? 'icmp' : `${flow.port}/${flow.transport}`;
    const subject = `${flow.client}→${flow.server}:${service}`;
    const internet = d.client.zone === INTERNET_ZONE || d.server.zone === INTERNET_ZONE;
    const severity: AlertSeverity = internet ? 'high' : 'medium';
    const evidence = {
      time: flow.evidence?.time ?? flow.lastSeen ?? at,
      connection: flowLabel(flow),
      ...(flow.evidence?.file ? { file: flow.evidence.file } : {}),
      ...(flow.evidence?.packet !== undefined ? { packet: flow.evidence.packet } : {}),
      summary: `${plural(flow.connections, 'connection')} not allowed by the approved policy: ${d.reason}`,
    };
    const prev = out.get(subject);
    if (prev) {
      if (prev.evidence.length < 5) prev.evidence.push(evidence);
      continue;
    }
    out.set(subject, {
      rule: POLICY_VIOLATION_RULE,
      severity,
      title: `Connection outside the segmentation policy: ${placeOf(d.client)} → ${placeOf(d.server)} ${service}`,
      // The device that started it is the one to look at; else the one that was reached.
      deviceId: d.client.deviceId ?? d.server.deviceId,
      siteId: d.client.siteId ?? d.server.siteId,
      subject,
      evidence: [evidence],
      details: {
        client: flow.client,
        server: flow.server,
        port: flow.port,
        transport: flow.transport,
        protocol: flow.protocol ?? 'unknown',
        clientZone: d.client.zone,
        serverZone: d.server.zone,
        clientClass: d.client.deviceClass,
        serverClass: d.server.deviceClass,
        ...(d.client.department ? { clientDepartment: d.client.department } : {}),
        ...(d.server.department ? { serverDepartment: d.server.department } : {}),
        ...(ctx.policyId ? { policyId: ctx.policyId } : {}),
      },
    });
  }
  return [...out.values()];
}

/** The rule over a source run's flows, bound to one approved policy (see `policy-service.ts`). */
export function policyViolationRule(ctx: PolicyContext): DetectionRule {
  return {
    id: POLICY_VIOLATION_RULE,
    description:
      'A conversation the approved segmentation policy does not allow (would be blocked by its default deny)',
    evaluate: (run: SourceRun) =>
      policyViolations(ctx, (run.result.flows ?? []).map(fromFlowSummary), run.at),
  };
}
