/**
 * @module The flow rules that compare a source run's conversations with inventory facts and the active
 * communication baselines, bound to one context (loaded by `monitor/baseline/rule-context.ts`).
 * `process-source-run.ts` appends them to the registered detection rules. `device-not-seen` is not here:
 * it runs on a schedule (`monitor/baseline/availability.ts`).
 */
import type { DetectionRule } from './detection-rule.js';
import { dicomUnknownAeRule } from './dicom-unknown-ae.js';
import type { FlowRuleContext } from './flow-rule-context.js';
import { hl7UnknownReceiverRule } from './hl7-unknown-receiver.js';
import { internetConnectionRule } from './internet-connection.js';
import { lateralMedicalRule } from './lateral-medical.js';
import { newListeningServiceRule } from './new-listening-service.js';
import { newPeerRule } from './new-peer.js';
import { PORT_SCAN_DEFAULTS, type PortScanThresholds, portScanRule } from './port-scan.js';
import { volumeAnomalyRule } from './volume-anomaly.js';

export function flowRules(
  ctx: FlowRuleContext,
  portScan: PortScanThresholds = PORT_SCAN_DEFAULTS,
): DetectionRule[] {
  return [
    newPeerRule(ctx),
    internetConnectionRule(ctx),
    lateralMedicalRule(ctx),
    newListeningServiceRule(ctx),
    dicomUnknownAeRule(ctx),
    hl7UnknownReceiverRule(ctx),
    portScanRule(ctx, portScan),
    volumeAnomalyRule(ctx),
  ];
}
