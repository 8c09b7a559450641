/**
 * @module Rule `dicom-unknown-ae`: a DICOM association between a device with an active baseline and a peer
 * using an AE title its baseline (own or model's) does not list. The capture analyzer records AE titles
 * per host (calling titles of requestors, called titles accepted by acceptors), not per connection: the
 * titles of the peer host in this run are compared, so a peer that used a known and an unknown title in
 * the same run still raises the unknown one.
 *
 * @see DICOM PS3.8 §9.3.2 A-ASSOCIATE-RQ (Called/Calling AE Title)
 */
import type { HostObservation } from '../../discovery/host-observation.js';
import type { AlertCandidate } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import { describeEnd, deviceAt, type FlowRuleContext, flowEvidence, verdict } from './flow-rule-context.js';

export const DICOM_UNKNOWN_AE_RULE = 'dicom-unknown-ae';

export function dicomUnknownAeTitles(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const hostByIp = new Map<string, HostObservation>();
  for (const h of run.result.hosts) for (const ip of h.ips) hostByIp.set(ip, h);
  const out = new Map<string, AlertCandidate>();
  for (const f of run.result.flows ?? []) {
    if (f.protocol !== 'dicom') continue;
    const ends = [
      { selfIp: f.client, peerIp: f.server },
      { selfIp: f.server, peerIp: f.client },
    ];
    for (const { selfIp, peerIp } of ends) {
      const self = deviceAt(ctx, selfIp);
      if (!self) continue;
      for (const ae of hostByIp.get(peerIp)?.dicom?.aeTitles ?? []) {
        const v = verdict(ctx, self, 'dicom-ae', ae);
        if (v !== 'unknown' && v !== 'denied') continue;
        const subject = `${peerIp}:${ae}`;
        const key = `${self.id}|${subject}`;
        if (out.has(key)) continue;
        out.set(key, {
          rule: DICOM_UNKNOWN_AE_RULE,
          severity: 'medium',
          title: `DICOM association of ${describeEnd(self, selfIp)} with AE title "${ae}" (${peerIp}) outside its baseline`,
          deviceId: self.id,
          siteId: self.siteId,
          subject,
          evidence: [flowEvidence(f, `DICOM peer used AE title "${ae}"`)],
          details: { aeTitle: ae, peer: peerIp, port: f.port, verdict: v },
        });
      }
    }
  }
  return [...out.values()];
}

export function dicomUnknownAeRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: DICOM_UNKNOWN_AE_RULE,
    description: 'A DICOM association with an AE title that is not in the active baseline',
    evaluate: (run) => dicomUnknownAeTitles(ctx, run),
  };
}
