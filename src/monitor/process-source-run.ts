/**
 * @module After a source (capture, scan, sensor batch, sensor log) has been applied to the inventory:
 * ties its hosts and findings to the stored devices and findings, runs every detection rule of
 * `rules/index.ts` over it, raises what they return, and publishes `source-run` on the bus. A rule that
 * throws is reported and skipped; the others still raise their alerts.
 */
import type { ApplyReport } from '../discovery/apply-source-result.js';
import { findingKey, type Severity } from '../discovery/finding-severity.js';
import type { SourceResult } from '../discovery/host-observation.js';
import { normaliseIp, normaliseMac } from '../inventory/identity.js';
import { approvedPolicyRules } from '../policy/policy-service.js';
import { getDevices } from '../store/device-store.js';
import { findingsByKey } from '../store/discovery-store.js';
import type { DbHandle } from '../store/transaction.js';
import type { AlertCandidate } from './alert-candidate.js';
import { type RaiseResult, raiseAlerts } from './alerts-service.js';
import { loadFlowRuleContext } from './baseline/rule-context.js';
import { type EventBus, processEventBus } from './event-bus.js';
import { flowRules } from './rules/flow-rules.js';
import {
  DETECTION_RULES,
  type DetectionRule,
  type RunDevice,
  type RunFinding,
  type SourceRun,
} from './rules/index.js';

export interface SourceRunInput {
  report: ApplyReport;
  result: SourceResult;
  /** capture | nmap | zeek | eve | live … */
  kind: string;
  file: string;
}

export interface ProcessOptions {
  now?: Date;
  bus?: EventBus;
  /** Default: every rule in `rules/index.ts`. */
  rules?: readonly DetectionRule[];
  rateLimit?: number;
}

export interface SourceRunAlerts extends RaiseResult {
  /** Candidates the rules returned, before de-duplication. */
  candidates: number;
  /** Rules that threw; their candidates are missing, everything else was raised. */
  ruleErrors: { rule: string; error: string }[];
}

const hostKey = (v: string) => normaliseMac(v) ?? normaliseIp(v) ?? v.toLowerCase();

/** Builds the pure view rules see: devices and stored findings of this run. */
export async function loadSourceRun(h: DbHandle, input: SourceRunInput, at: string): Promise<SourceRun> {
  const devices = new Map<string, RunDevice>();
  for (const d of await getDevices(h, input.report.deviceIds)) {
    for (const i of d.identifiers)
      if (i.kind === 'mac' || i.kind === 'ip') devices.set(hostKey(i.value), { id: d.id, siteId: d.siteId });
  }
  const deviceOfHost = (host: { mac?: string; ip?: string }) =>
    (host.mac && devices.get(hostKey(host.mac))) || (host.ip && devices.get(hostKey(host.ip))) || undefined;
  const keyed = input.result.findings.flatMap((f) => {
    const d = deviceOfHost(f.host);
    return d ? [{ f, d, key: findingKey(f.type, d.id, f.subject) }] : [];
  });
  const stored = await findingsByKey(
    h,
    keyed.map((k) => k.key),
  );
  const findings: RunFinding[] = [];
  for (const { f, d, key } of keyed) {
    const row = stored.get(key);
    if (!row) continue;
    findings.push({
      observation: f,
      findingId: row.id,
      deviceId: d.id,
      siteId: d.siteId,
      state: row.state,
      severity: row.severity as Severity,
      title: row.title,
    });
  }
  return {
    kind: input.kind,
    file: input.file,
    at,
    result: input.result,
    report: input.report,
    devices,
    findings,
  };
}

export async function processSourceRun(
  h: DbHandle,
  input: SourceRunInput,
  opts: ProcessOptions = {},
): Promise<SourceRunAlerts> {
  const now = opts.now ?? new Date();
  const run = await loadSourceRun(h, input, now.toISOString());
  const candidates: AlertCandidate[] = [];
  const ruleErrors: SourceRunAlerts['ruleErrors'] = [];
  // The flow rules compare the run with the baselines and inventory, loaded once per run; the approved
  // segmentation policies (the one for every site, and each site's own) turn the flows they do not allow
  // into alerts.
  let rules = opts.rules;
  if (!rules) {
    rules = [
      ...DETECTION_RULES,
      ...flowRules(await loadFlowRuleContext(h, run)),
      ...(await approvedPolicyRules(h)),
    ];
  }
  for (const rule of rules) {
    try {
      candidates.push(...rule.evaluate(run));
    } catch (e) {
      ruleErrors.push({ rule: rule.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const bus = opts.bus ?? processEventBus();
  const raised = await raiseAlerts(h, candidates, {
    now,
    bus,
    ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
  });
  bus.publish('source-run', {
    importId: input.report.importId,
    kind: input.kind,
    file: input.file,
    report: input.report,
    result: input.result,
  });
  return { ...raised, candidates: candidates.length, ruleErrors };
}
