/**
 * @module Every table of the report as CSV (RFC 4180, CRLF line ends, UTF-8). One table per file:
 * `--table NAME` picks one, `--table all --out DIR` writes them all as DIR/NAME.csv. Text cells that
 * a spreadsheet would run as a formula (= + - @) get a leading apostrophe.
 */
import { invalidInput } from '../../errors.js';
import { csvCell } from '../../formats/csv-cell.js';
import type { ComplianceReport } from '../evaluate.js';
import { histogram, TTP_BINS } from './charts.js';

export const CSV_TABLES = [
  'frameworks',
  'controls',
  'evidence',
  'gaps',
  'overdue-tasks',
  'training-by-department',
  'officers-by-site',
  'manufacturers',
  'open-over-time',
  'time-to-patch',
] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

type Cell = string | number | boolean | null | undefined;

export function toCsv(headers: readonly string[], rows: readonly Cell[][]): string {
  return `${[headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

export function reportCsv(r: ComplianceReport, table: CsvTable): string {
  switch (table) {
    case 'frameworks':
      return toCsv(
        ['framework', 'title', 'controls', 'met', 'partial', 'not_met', 'no_evidence'],
        r.frameworks.map((f) => [
          f.id,
          f.title,
          f.controls,
          f.counts.met,
          f.counts.partial,
          f.counts['not-met'],
          f.counts['no-evidence'],
        ]),
      );
    case 'controls':
      return toCsv(
        ['framework', 'control', 'ref', 'title', 'group', 'status', 'evidence', 'reason'],
        r.controls.map((c) => [
          c.framework,
          c.id,
          c.ref,
          c.title,
          c.group,
          c.status,
          c.evidence.join(';'),
          c.reason,
        ]),
      );
    case 'evidence':
      return toCsv(
        ['kind', 'title', 'status', 'as_of', 'age_days', 'reason', 'figures', 'gaps'],
        r.evidence.map((e) => [
          e.kind,
          e.title,
          e.status,
          e.asOf,
          e.ageDays,
          e.reason,
          JSON.stringify(e.figures),
          e.gaps.length,
        ]),
      );
    case 'gaps':
      return toCsv(
        ['kind', 'status', 'gap'],
        r.evidence.flatMap((e) => e.gaps.map((g) => [e.kind, e.status, g])),
      );
    case 'overdue-tasks':
      return toCsv(
        // `device` last: files read by column position before it existed keep their columns.
        ['task_id', 'asset_tag', 'site', 'department', 'title', 'due_at', 'days_overdue', 'device'],
        r.tables.overdueTasks.map((t) => [
          t.taskId,
          t.assetTag,
          t.site,
          t.department,
          t.title,
          t.dueAt,
          t.daysOverdue,
          t.deviceLabel,
        ]),
      );
    case 'training-by-department':
      return toCsv(
        ['site', 'department', 'required', 'current', 'overdue', 'rate', 'below_target'],
        r.tables.trainingByDepartment.map((t) => [
          t.siteName,
          t.department,
          t.required,
          t.current,
          t.overdue,
          t.rate,
          t.belowTarget,
        ]),
      );
    case 'officers-by-site': {
      // The organization's own first (the security official, above the sites), as in the HTML and PDF;
      // no site id, so a reader tells it from a site that happens to be called "Organization".
      const org = r.tables.organizationOfficers;
      return toCsv(
        ['site_id', 'site', 'primary', 'deputies'],
        [
          ...(org ? [[null, 'Organization', org.primary, org.deputies.join(';')]] : []),
          ...r.tables.officersBySite.map((o) => [o.siteId, o.siteName, o.primary, o.deputies.join(';')]),
        ],
      );
    }
    case 'manufacturers':
      return toCsv(
        [
          'manufacturer',
          'active_devices',
          'subscribed',
          'last_sync_at',
          'last_sync_error',
          'psirt_contact',
          'models_without_mds2',
          'models_without_sbom',
          'open_requests',
          'overdue_requests',
        ],
        r.tables.manufacturers.map((m) => [
          m.name,
          m.activeDevices,
          m.subscribed,
          m.lastSyncAt,
          m.lastSyncError,
          m.psirtContact,
          m.modelsWithoutMds2,
          m.modelsWithoutSbom,
          m.openRequests,
          m.overdueRequests,
        ]),
      );
    case 'open-over-time':
      return toCsv(
        ['week_ending', 'within_due', 'overdue', 'risk_accepted'],
        r.tables.openOverTime.map((p) => [p.at, p.withinDue, p.overdue, p.riskAccepted]),
      );
    case 'time-to-patch': {
      const counts = histogram(r.tables.timeToPatchDays);
      return toCsv(
        ['bin', 'max_days', 'tasks'],
        TTP_BINS.map((b, i) => [b.label, Number.isFinite(b.max) ? b.max : null, counts[i]]),
      );
    }
    default:
      throw invalidInput(`Unknown CSV table ${String(table)}: one of ${CSV_TABLES.join(', ')}`);
  }
}
