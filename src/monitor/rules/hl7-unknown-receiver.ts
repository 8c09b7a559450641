/**
 * @module Rule `hl7-unknown-receiver`: a device with an active baseline sent HL7 (MLLP) to a receiver that
 * its baseline (own or model's) does not list: HL7 carries patient data, and a new receiver is either a
 * reconfiguration nobody recorded or data leaving for the wrong place. Receivers are devices
 * (`device:<id>`) or, when the inventory does not know the address, `ip:<address>`.
 */
import type { AlertCandidate } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  flowSubject,
  ownTraffic,
  verdict,
} from './flow-rule-context.js';

export const HL7_UNKNOWN_RECEIVER_RULE = 'hl7-unknown-receiver';

export function hl7UnknownReceivers(ctx: FlowRuleContext, run: Pick<SourceRun, 'result'>): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const f of run.result.flows ?? []) {
    if (f.protocol !== 'hl7') continue;
    const sender = deviceAt(ctx, f.client);
    if (!sender) continue;
    const receiver = deviceAt(ctx, f.server);
    if (ownTraffic(sender, receiver)) continue;
    const value = receiver ? `device:${receiver.id}` : `ip:${f.server}`;
    const v = verdict(ctx, sender, 'hl7-receiver', value);
    if (v !== 'unknown' && v !== 'denied') continue;
    out.push({
      rule: HL7_UNKNOWN_RECEIVER_RULE,
      severity: 'high',
      title: `${describeEnd(sender, f.client)} sent HL7 to ${describeEnd(receiver, f.server)}, a receiver outside its baseline`,
      deviceId: sender.id,
      siteId: sender.siteId,
      subject: flowSubject(f),
      evidence: [flowEvidence(f, 'HL7 over MLLP to an unknown receiver')],
      details: { receiver: value, port: f.port, verdict: v },
    });
  }
  return out;
}

export function hl7UnknownReceiverRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: HL7_UNKNOWN_RECEIVER_RULE,
    description: 'HL7 sent to a receiver that is not in the active baseline',
    evaluate: (run) => hl7UnknownReceivers(ctx, run),
  };
}
