/**
 * @module The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no
 * external reference, every value escaped. Executive summary first, then the control table per
 * framework, the evidence, and the tables people act on. Never patient data: the report is built
 * from counts, device asset tags, titles and dates only.
 */
import type { ComplianceReport, ComplianceStatus } from '../evaluate.js';
import { chartSvg, escapeXml, reportCharts } from './charts.js';
import { REPORT_NOTICE } from './notice.js';

const esc = (v: unknown) => escapeXml(v === null || v === undefined ? '–' : String(v));

export const STATUS_LABEL: Record<ComplianceStatus, string> = {
  met: 'Met',
  partial: 'Partial',
  'not-met': 'Not met',
  'no-evidence': 'No evidence',
};

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0}h2{margin-top:1.6em;border-bottom:2px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.s{font-weight:bold;white-space:nowrap;padding:1px 6px;border-radius:3px;color:#fff}
.met{background:#2e7d32}.partial{background:#ef6c00}.not-met{background:#c62828}.no-evidence{background:#757575}
.meta{color:#555}.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:12em}
.card b{display:block;font-size:1.4em}figure{margin:1em 0}ul.gaps{margin:.2em 0;padding-left:1.2em}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
`;

const status = (s: ComplianceStatus) => `<span class="s ${s}">${STATUS_LABEL[s]}</span>`;

function table(headers: string[], rows: string[][]): string {
  if (!rows.length) return '<p class="meta">None.</p>';
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * The organization's security officer (HIPAA §164.308(a)(2)'s security official), above the sites,
 * then its deputies, each marked as such: they stand in for the official, so an auditor asks for them.
 */
function organizationOfficer(r: ComplianceReport): string {
  const name = r.evidence.find((e) => e.kind === 'security-officer')?.figures['organizationOfficer'];
  if (name === undefined) return '';
  const deputies = (r.tables.organizationOfficers?.deputies ?? []).map((d) => `; ${esc(d)} (deputy)`);
  return `<p><b>Organization:</b> ${typeof name === 'string' ? esc(name) : `${status('not-met')} no security officer in term`}${deputies.join('')}</p>`;
}

export function reportHtml(r: ComplianceReport): string {
  const s = r.summary;
  const scope = r.site ? `site ${r.site.name}` : 'every site';
  const parts: string[] = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Vigil compliance report – ${esc(scope)}</title><style>${CSS}</style></head><body>`,
    '<h1>Medical device security: compliance report</h1>',
    `<p class="meta">Generated ${esc(r.generatedAt)} for ${esc(scope)} by Vigil. ${esc(REPORT_NOTICE)}</p>`,
    '<h2>Executive summary</h2>',
    '<div class="cards">',
    `<div class="card">Controls met<b>${s.counts.met}</b></div>`,
    `<div class="card">Partial<b>${s.counts.partial}</b></div>`,
    `<div class="card">Not met<b>${s.counts['not-met']}</b></div>`,
    `<div class="card">No evidence<b>${s.counts['no-evidence']}</b></div>`,
    `<div class="card">Overdue updates<b>${s.overdueUpdates}</b></div>`,
    `<div class="card">Median time to patch<b>${s.medianTimeToPatchDays === null ? '–' : `${esc(s.medianTimeToPatchDays)} d`}</b></div>`,
    `<div class="card">Training current<b>${s.training?.rate === null || s.training?.rate === undefined ? '–' : `${Math.round(s.training.rate * 1000) / 10}%`}</b>${s.training?.target ? `target ${Math.round(s.training.target * 1000) / 10}%` : ''}</div>`,
    '</div>',
    `<p><b>Security officer:</b> ${s.officer ? `${status(s.officer.status)} ${esc(s.officer.reason)}` : 'not evaluated'}</p>`,
    table(
      ['Framework', 'Controls', 'Met', 'Partial', 'Not met', 'No evidence'],
      r.frameworks.map((f) => [
        esc(f.title),
        esc(f.controls),
        esc(f.counts.met),
        esc(f.counts.partial),
        esc(f.counts['not-met']),
        esc(f.counts['no-evidence']),
      ]),
    ),
    '<h3>Top gaps</h3>',
    table(
      ['Framework', 'Control', 'Status', 'Why'],
      s.topGaps.map((g) => [
        esc(g.framework),
        `${esc(g.ref)} ${esc(g.title)}`,
        status(g.status),
        esc(g.reason),
      ]),
    ),
    '<h2>Charts</h2>',
    ...reportCharts(r).map((c) => `<figure>${chartSvg(c)}</figure>`),
    '<h2>Controls</h2>',
  ];
  for (const f of r.frameworks) {
    parts.push(`<h3>${esc(f.title)}</h3><p class="meta">Source: ${esc(f.source)}</p>`);
    parts.push(
      table(
        ['Ref', 'Control', 'Status', 'Evidence', 'Why'],
        r.controls
          .filter((c) => c.framework === f.id)
          .map((c) => [
            esc(c.ref),
            esc(c.title),
            status(c.status),
            esc(c.evidence.join(', ') || '–'),
            esc(c.reason),
          ]),
      ),
    );
  }
  parts.push(
    '<h2>Evidence</h2>',
    table(
      ['Evidence', 'Status', 'As of', 'Age (days)', 'Why', 'Figures', 'Named gaps'],
      r.evidence.map((e) => [
        esc(e.title),
        status(e.status),
        esc(e.asOf),
        esc(e.ageDays),
        esc(e.reason),
        esc(
          Object.entries(e.figures)
            .map(([k, v]) => `${k}=${v ?? '–'}`)
            .join(', '),
        ),
        e.gaps.length ? `<ul class="gaps">${e.gaps.map((g) => `<li>${esc(g)}</li>`).join('')}</ul>` : '–',
      ]),
    ),
    '<h2>Overdue updates</h2>',
    table(
      ['Device', 'Site', 'Department', 'Task', 'Due', 'Days overdue'],
      r.tables.overdueTasks.map((t) => [
        esc(t.deviceLabel),
        esc(t.site),
        esc(t.department),
        esc(t.title),
        esc(t.dueAt.slice(0, 10)),
        esc(t.daysOverdue),
      ]),
    ),
    '<h2>Training by department</h2>',
    table(
      ['Site', 'Department', 'Required', 'Current', 'Overdue', 'Rate', 'Below target'],
      r.tables.trainingByDepartment.map((t) => [
        esc(t.siteName),
        esc(t.department),
        esc(t.required),
        esc(t.current),
        esc(t.overdue),
        esc(`${Math.round(t.rate * 1000) / 10}%`),
        t.belowTarget ? status('not-met') : status('met'),
      ]),
    ),
    '<h2>Security officers by site</h2>',
    organizationOfficer(r),
    table(
      ['Site', 'Officer', 'Deputies'],
      r.tables.officersBySite.map((o) => [
        esc(o.siteName),
        o.primary ? esc(o.primary) : status('not-met'),
        esc(o.deputies.join(', ') || '–'),
      ]),
    ),
    '<h2>Manufacturers</h2>',
    table(
      [
        'Manufacturer',
        'Devices',
        'Subscribed',
        'Last sync',
        'PSIRT contact',
        'Models without MDS2',
        'Without SBOM',
        'Overdue requests',
      ],
      r.tables.manufacturers.map((m) => [
        esc(m.name),
        esc(m.activeDevices),
        m.subscribed ? 'yes' : status('not-met'),
        esc(m.lastSyncError ? `${m.lastSyncAt ?? '–'} (error: ${m.lastSyncError})` : m.lastSyncAt),
        m.psirtContact ? 'yes' : 'no',
        esc(m.modelsWithoutMds2),
        esc(m.modelsWithoutSbom),
        esc(m.overdueRequests),
      ]),
    ),
    '</body></html>\n',
  );
  return parts.join('\n');
}
