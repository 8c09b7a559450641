/**
 * @module The compliance report (GET /reports/compliance): choose frameworks, read the report here
 * (rendered from its JSON: summary, frameworks, gaps, every control and the evidence behind it), and
 * download it as PDF, HTML, JSON or a CSV table. The chosen frameworks live in the URL (`?framework=`).
 * Rendering the JSON rather than framing the server's HTML keeps the page inside the dashboard's CSP.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { FRAMEWORK_IDS, type FrameworkId } from '../../../src/compliance/controls/control.js';
import type { ComplianceReport } from '../../../src/compliance/evaluate.js';
import type { CsvTable } from '../../../src/compliance/report/csv.js';
import { REPORT_NOTICE } from '../../../src/compliance/report/notice.js';
import { api, downloadUrl, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading, SelectField } from '../components/ui.js';
import { href, navigate, useLoad, useLocation } from '../router.js';
import { percent } from './program-format.js';

const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  fda: 'FDA hospital practices',
  hipaa: 'HIPAA Security Rule',
  'hhs-nprm': 'HHS proposed Security Rule schedules',
  'hph-cpg': 'HPH Cybersecurity Performance Goals',
  'nist-csf': 'NIST CSF 2.0',
};

const CSV_TABLES = [
  'controls',
  'frameworks',
  'evidence',
  'gaps',
  'overdue-tasks',
  'training-by-department',
  'officers-by-site',
  'manufacturers',
  'open-over-time',
  'time-to-patch',
] as const satisfies readonly CsvTable[];

const STATUSES = ['met', 'partial', 'not-met', 'no-evidence'] as const;
const PATH = '/program/compliance';

function reportQuery(framework: string) {
  return framework ? { framework } : {};
}

const loadReport = async (framework: string) =>
  (await ok(
    api().reports.compliance.$get({ query: { format: 'json', ...reportQuery(framework) } as never }),
  )) as unknown as ComplianceReport;

function reportUrl(framework: string, format: string, table?: string) {
  return downloadUrl(
    api().reports.compliance.$url({
      query: { format, ...reportQuery(framework), ...(table ? { table } : {}) } as never,
    }),
  );
}

const status = (s: string) => <Badge tone={s}>{s}</Badge>;

export function ComplianceTab() {
  const { query } = useLocation();
  const framework = query.get('framework') ?? '';
  const [chosen, setChosen] = useState<Set<string>>(
    () => new Set(framework ? framework.split(',') : FRAMEWORK_IDS),
  );
  // Back and forward change the URL: the checkboxes follow it.
  useEffect(() => setChosen(new Set(framework ? framework.split(',') : FRAMEWORK_IDS)), [framework]);
  const [table, setTable] = useState<string>('controls');
  const report = useLoad(() => loadReport(framework), [framework]);
  const show = (e: FormEvent) => {
    e.preventDefault();
    const ids = FRAMEWORK_IDS.filter((f) => chosen.has(f));
    // All five is the default: leave the URL clean then.
    navigate(href(PATH, { framework: ids.length === FRAMEWORK_IDS.length ? undefined : ids.join(',') }));
  };
  const toggle = (id: string, on: boolean) =>
    setChosen((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const r = report.data;
  return (
    <>
      <h2>Compliance report</h2>
      <form className="card" onSubmit={show} aria-label="Report options">
        <fieldset className="toolbar">
          <legend>Frameworks</legend>
          {FRAMEWORK_IDS.map((f) => (
            <label key={f}>
              <input
                type="checkbox"
                name="framework"
                value={f}
                checked={chosen.has(f)}
                onChange={(e) => toggle(f, e.target.checked)}
              />{' '}
              {FRAMEWORK_LABELS[f]}
            </label>
          ))}
        </fieldset>
        <div className="downloads">
          <button type="submit" className="primary" disabled={chosen.size === 0}>
            Show report
          </button>
          <a className="button" href={reportUrl(framework, 'pdf')} download>
            Download PDF
          </a>
          <a className="button" href={reportUrl(framework, 'html')} target="_blank" rel="noopener">
            Open HTML
          </a>
          <a className="button" href={reportUrl(framework, 'json')} download="vigil-compliance.json">
            Download JSON
          </a>
          <SelectField
            label="CSV table"
            name="table"
            value={table}
            onChange={setTable}
            options={CSV_TABLES}
          />
          <a className="button" href={reportUrl(framework, 'csv', table)} download>
            Download CSV
          </a>
        </div>
      </form>
      <ErrorMessage error={report.error} />
      {!r ? (
        <Loading what="the compliance report" />
      ) : (
        <article aria-label="Compliance report">
          <p className="muted">
            Generated {formatDate(r.generatedAt)} UTC{r.site ? ` for site ${r.site.name}` : ' for every site'}
            . {REPORT_NOTICE}
          </p>
          <div className="tiles">
            {STATUSES.map((s) => (
              <div className="tile" key={s}>
                <strong className="h3">{r.summary.counts[s]}</strong>
                <br />
                <span>controls {s}</span>
              </div>
            ))}
            <div className="tile">
              <strong className="h3">{r.summary.overdueUpdates}</strong>
              <br />
              <span>overdue updates</span>
            </div>
            <div className="tile">
              <strong className="h3">{percent(r.summary.training?.rate)}</strong>
              <br />
              <span>training (target {percent(r.summary.training?.target)})</span>
            </div>
          </div>
          {r.summary.officer && (
            <p>
              Security officer: {status(r.summary.officer.status)} {r.summary.officer.reason}
            </p>
          )}
          <h3>Frameworks</h3>
          <DataTable
            caption="Frameworks"
            rows={r.frameworks}
            rowKey={(f) => f.id}
            columns={[
              { key: 'title', label: 'Framework', render: (f) => f.title },
              { key: 'controls', label: 'Controls', render: (f) => f.controls },
              ...STATUSES.map((s) => ({
                key: s,
                label: s,
                render: (f: (typeof r.frameworks)[number]) => f.counts[s],
              })),
            ]}
          />
          <h3>Largest gaps</h3>
          <DataTable
            caption="Largest gaps"
            rows={r.summary.topGaps}
            rowKey={(g) => g.id}
            empty="No gaps."
            columns={[
              { key: 'ref', label: 'Control', render: (g) => `${g.ref} ${g.title}` },
              { key: 'fw', label: 'Framework', render: (g) => g.framework },
              { key: 'status', label: 'Status', render: (g) => status(g.status) },
              { key: 'reason', label: 'Why', render: (g) => g.reason },
            ]}
          />
          <h3>Controls</h3>
          <DataTable
            caption="Controls"
            rows={r.controls}
            rowKey={(c) => c.id}
            columns={[
              { key: 'fw', label: 'Framework', render: (c) => c.framework },
              { key: 'ref', label: 'Ref', render: (c) => c.ref },
              { key: 'title', label: 'Control', render: (c) => c.title },
              { key: 'status', label: 'Status', render: (c) => status(c.status) },
              { key: 'reason', label: 'Evidence and reason', render: (c) => c.reason },
            ]}
          />
          <h3>Evidence</h3>
          <DataTable
            caption="Evidence"
            rows={r.evidence}
            rowKey={(e) => e.kind}
            columns={[
              { key: 'title', label: 'Evidence', render: (e) => e.title },
              { key: 'status', label: 'Status', render: (e) => status(e.status) },
              { key: 'reason', label: 'Reason', render: (e) => e.reason },
              { key: 'age', label: 'Age (days)', render: (e) => e.ageDays ?? '—' },
              {
                key: 'gaps',
                label: 'Gaps',
                render: (e) =>
                  e.gaps.length ? (
                    <ul className="warnings">
                      {e.gaps.map((g) => (
                        <li key={g}>{g}</li>
                      ))}
                    </ul>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        </article>
      )}
    </>
  );
}
