/**
 * @module Judges the control catalogue: collects each evidence kind the chosen frameworks need (once,
 * however many controls share it), gives every control a status from its evidence, and assembles the
 * report: summary, control table, evidence, the tables behind the charts. Pure apart from the
 * collectors; the report shape is the JSON contract (docs/compliance.md).
 */
import { type EvidenceKind, type Framework, type FrameworkId, frameworksOf } from './controls/index.js';
import { collectAccessControl } from './evidence/access-control.js';
import { collectAssetInventory } from './evidence/asset-inventory.js';
import { collectAuditControls } from './evidence/audit-controls.js';
import { collectDeviceDisposal } from './evidence/device-disposal.js';
import { collectEncryption } from './evidence/encryption.js';
import {
  type ComplianceStatus,
  type EvidenceCollector,
  type EvidenceContext,
  type EvidenceItem,
  evidence,
} from './evidence/evidence.js';
import {
  collectIncidentHandling,
  collectLogCollection,
  collectNetworkMonitoring,
} from './evidence/network-monitoring.js';
import { collectPasswordMeasures } from './evidence/passwords.js';
import { emptyProgramTables, PROGRAM_COLLECTORS, type ProgramTables } from './evidence/program.js';
import {
  loadTaskFigures,
  type OpenWorkPoint,
  type OverdueTask,
  type TaskFigures,
  updatesEvidence,
} from './evidence/regular-updates.js';
import { collectInventoryReview, collectNetworkMapReview } from './evidence/reviews.js';
import { collectRiskAnalysis } from './evidence/risk-analysis.js';
import { collectSegmentation } from './evidence/segmentation.js';
import { collectUnnecessaryServices } from './evidence/unnecessary-services.js';
import {
  collectPenetrationTesting,
  collectVulnerabilityScanning,
} from './evidence/vulnerability-scanning.js';

export type { ComplianceStatus, EvidenceItem };

/** One collector per evidence kind; the program kinds come from the security-program areas. */
const COLLECTORS: Partial<Record<EvidenceKind, EvidenceCollector>> = {
  'asset-inventory': collectAssetInventory,
  'inventory-review': collectInventoryReview,
  'network-map-review': collectNetworkMapReview,
  'vulnerability-scanning': collectVulnerabilityScanning,
  'penetration-testing': collectPenetrationTesting,
  'network-monitoring': collectNetworkMonitoring,
  'incident-handling': collectIncidentHandling,
  'log-collection': collectLogCollection,
  segmentation: collectSegmentation,
  'unnecessary-services': collectUnnecessaryServices,
  'encryption-in-transit': collectEncryption,
  'password-measures': collectPasswordMeasures,
  'risk-analysis': collectRiskAnalysis,
  'audit-controls': collectAuditControls,
  'access-control': collectAccessControl,
  'device-disposal': collectDeviceDisposal,
};

export interface ControlResult {
  framework: FrameworkId;
  id: string;
  ref: string;
  title: string;
  group: string | null;
  requirement: string;
  status: ComplianceStatus;
  /** Why: the reasons of the evidence that is not met, or that all of it is; then what Vigil does not show. */
  reason: string;
  evidence: EvidenceKind[];
  /** What the requirement asks beyond Vigil's evidence (the catalogue's `outside`), null when nothing. */
  outside: string | null;
}

export interface FrameworkSummary {
  id: FrameworkId;
  title: string;
  source: string;
  controls: number;
  counts: Record<ComplianceStatus, number>;
}

export interface ComplianceReport {
  generatedAt: string;
  site: { id: string; name: string } | null;
  frameworks: FrameworkSummary[];
  summary: {
    counts: Record<ComplianceStatus, number>;
    /** Not-met controls first, then partial: at most ten. */
    topGaps: {
      framework: FrameworkId;
      id: string;
      ref: string;
      title: string;
      status: ComplianceStatus;
      reason: string;
    }[];
    officer: { status: ComplianceStatus; reason: string } | null;
    training: { status: ComplianceStatus; rate: number | null; target: number | null } | null;
    overdueUpdates: number;
    medianTimeToPatchDays: number | null;
  };
  controls: ControlResult[];
  evidence: EvidenceItem[];
  tables: {
    overdueTasks: OverdueTask[];
    trainingByDepartment: ProgramTables['trainingByDepartment'];
    officersBySite: ProgramTables['officersBySite'];
    organizationOfficers: ProgramTables['organizationOfficers'];
    manufacturers: ProgramTables['manufacturers'];
    openOverTime: OpenWorkPoint[];
    timeToPatchDays: number[];
  };
}

const zeroCounts = (): Record<ComplianceStatus, number> => ({
  met: 0,
  partial: 0,
  'not-met': 0,
  'no-evidence': 0,
});

/**
 * A control's status from its evidence: no evidence at all → no-evidence; otherwise, leaving out the
 * kinds without evidence, all met → met, all not met → not-met, anything else (including met evidence
 * next to a kind Vigil holds nothing for) → partial.
 */
export function controlStatus(items: readonly EvidenceItem[]): ComplianceStatus {
  const held = items.filter((i) => i.status !== 'no-evidence');
  if (held.length === 0) return 'no-evidence';
  if (held.every((i) => i.status === 'met')) return held.length === items.length ? 'met' : 'partial';
  if (held.every((i) => i.status === 'not-met')) return 'not-met';
  return 'partial';
}

function controlReason(status: ComplianceStatus, items: readonly EvidenceItem[]): string {
  if (items.length === 0) return 'Vigil holds no evidence for this control';
  const shown = status === 'met' ? items : items.filter((i) => i.status !== 'met');
  return shown.map((i) => `${i.title}: ${i.reason}`).join('; ');
}

/**
 * A control's status and reason: from its evidence, except that a control whose requirement reaches
 * beyond what Vigil can see (`outside`) is at most partial, and says what the auditor must look for
 * elsewhere. "Met" in a report is then never wider than the evidence behind it.
 */
export function judgeControl(
  items: readonly EvidenceItem[],
  outside?: string,
): { status: ComplianceStatus; reason: string } {
  const held = controlStatus(items);
  const reason = controlReason(held, items);
  if (!outside) return { status: held, reason };
  return {
    status: held === 'met' ? 'partial' : held,
    reason: `${reason}; not shown by Vigil: ${outside}`,
  };
}

export interface EvaluateOptions {
  frameworks?: readonly FrameworkId[];
  site?: { id: string; name: string } | null;
}

export async function evaluateCompliance(
  ctx: EvidenceContext,
  opts: EvaluateOptions = {},
): Promise<ComplianceReport> {
  const frameworks: Framework[] = frameworksOf(opts.frameworks);
  const kinds = new Set<EvidenceKind>(frameworks.flatMap((f) => f.controls.flatMap((c) => c.evidence)));
  // Tasks feed the updates evidence and two charts; the program areas feed three evidence kinds and tables.
  const tasks: TaskFigures = await loadTaskFigures(ctx);
  const program = emptyProgramTables();
  const items = new Map<EvidenceKind, EvidenceItem>();
  for (const kind of kinds) {
    if (kind === 'regular-updates') {
      items.set(kind, updatesEvidence(ctx, tasks));
      continue;
    }
    const programCollector = PROGRAM_COLLECTORS[kind];
    if (programCollector) {
      items.set(kind, await programCollector(ctx, program));
      continue;
    }
    const collect = COLLECTORS[kind];
    items.set(
      kind,
      collect
        ? await collect(ctx)
        : evidence(ctx, {
            kind,
            title: kind,
            status: 'no-evidence',
            reason: 'this Vigil installation has no collector for it',
            figures: {},
          }),
    );
  }

  const controls: ControlResult[] = [];
  const summaries: FrameworkSummary[] = [];
  const total = zeroCounts();
  for (const f of frameworks) {
    const counts = zeroCounts();
    for (const c of f.controls) {
      const ev = c.evidence.map((k) => items.get(k)!);
      const { status, reason } = judgeControl(ev, c.outside);
      counts[status]++;
      total[status]++;
      controls.push({
        framework: f.id,
        id: c.id,
        ref: c.ref,
        title: c.title,
        group: c.group ?? null,
        requirement: c.requirement,
        status,
        reason,
        evidence: [...c.evidence],
        outside: c.outside ?? null,
      });
    }
    summaries.push({ id: f.id, title: f.title, source: f.source, controls: f.controls.length, counts });
  }
  const rank: Record<ComplianceStatus, number> = { 'not-met': 0, partial: 1, 'no-evidence': 2, met: 3 };
  const topGaps = controls
    .filter((c) => c.status === 'not-met' || c.status === 'partial')
    .sort((a, b) => rank[a.status] - rank[b.status])
    .slice(0, 10)
    .map(({ framework, id, ref, title, status, reason }) => ({ framework, id, ref, title, status, reason }));
  const officer = items.get('security-officer');
  const training = items.get('training');
  return {
    generatedAt: ctx.now.toISOString(),
    site: opts.site ?? null,
    frameworks: summaries,
    summary: {
      counts: total,
      topGaps,
      officer: officer ? { status: officer.status, reason: officer.reason } : null,
      training: training
        ? {
            status: training.status,
            rate: typeof training.figures['rate'] === 'number' ? training.figures['rate'] : null,
            target: typeof training.figures['target'] === 'number' ? training.figures['target'] : null,
          }
        : null,
      overdueUpdates: tasks.overdue.length,
      medianTimeToPatchDays: tasks.medianTimeToPatchDays,
    },
    controls,
    evidence: [...items.values()],
    tables: {
      overdueTasks: tasks.overdue,
      trainingByDepartment: program.trainingByDepartment,
      officersBySite: program.officersBySite,
      organizationOfficers: program.organizationOfficers,
      manufacturers: program.manufacturers,
      openOverTime: tasks.openOverTime,
      timeToPatchDays: tasks.timeToPatchDays,
    },
  };
}
