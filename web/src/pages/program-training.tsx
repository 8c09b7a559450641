/**
 * @module Training compliance (GET /training/compliance, GET /training/status?overdue=true): the share
 * of required training that is current, overall and per department against the target (bars with the
 * target line, and the same figures as a table), and who is overdue; with program:write, a learning
 * system's CSV export is imported (POST /training/import, text/csv body) and its skipped rows and errors
 * are listed by line.
 */

import { type FormEvent, useId, useState } from 'react';
import { plural } from '../../../src/format-count.js';
import type { DateFormat } from '../../../src/program/training/completion-csv.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, Loading, SelectField } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';
import { percent } from './program-format.js';

type Compliance = Awaited<ReturnType<typeof loadCompliance>>;
type Figure = Compliance['byDepartment'][number];
type ImportResult = Awaited<ReturnType<typeof importCsv>>;

const DATE_FORMATS = [
  { value: 'iso', label: 'YYYY-MM-DD (ISO)' },
  { value: 'mdy', label: 'M/D/YYYY (US)' },
  { value: 'dmy', label: 'D/M/YYYY' },
] as const satisfies readonly { value: DateFormat; label: string }[];

const loadCompliance = () => ok(api().training.compliance.$get({ query: {} }));
const loadOverdue = () => ok(api().training.status.$get({ query: { overdue: 'true' } as never }));

function importCsv(file: { name: string }, text: string, dateFormat: string, dryRun: boolean) {
  return ok(
    api().training.import.$post(
      { query: { fileName: file.name, dateFormat, ...(dryRun ? { dryRun: 'true' } : {}) } as never },
      // The typed client sends JSON and forms only: the CSV goes as the raw body, as the API expects.
      { headers: { 'content-type': 'text/csv' }, init: { body: text } },
    ),
  );
}

const figureName = (f: Figure) => `${f.department ?? '—'}${f.siteName ? ` (${f.siteName})` : ''}`;

function ComplianceBars({ figures, target }: { figures: Figure[]; target: number }) {
  if (figures.length === 0) return <p className="muted">No department has required training.</p>;
  return (
    <ul className="bars" aria-label="Training compliance by department">
      {figures.map((f) => (
        <li key={`${f.siteId}-${f.department}`}>
          <span>{figureName(f)}</span>
          <span className="bar-track" aria-hidden="true">
            <span
              className={`bar${f.belowTarget ? ' below' : ''}`}
              style={{ width: `${Math.round(f.rate * 100)}%` }}
            />
            <span className="target-line" style={{ left: `${Math.round(target * 100)}%` }} />
          </span>
          <span>
            {percent(f.rate)}
            <span className="visually-hidden">
              {' '}
              ({f.current} of {f.required} current{f.belowTarget ? ', below target' : ''})
            </span>
          </span>
        </li>
      ))}
    </ul>
  );
}

function ImportForm({ onImported }: { onImported: () => void }) {
  const fileId = useId();
  const dryId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [dateFormat, setDateFormat] = useState<string>('iso');
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      setResult(await importCsv(file, await file.text(), dateFormat, dryRun));
      onImported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const where = (i: { file?: string | undefined; line?: number | undefined }) =>
    `${i.file ?? result?.file ?? ''}${i.line ? ` line ${i.line}` : ''}`;
  return (
    <form className="card" onSubmit={submit} aria-label="Import completions">
      <h3>Import completions from the learning system</h3>
      <div className="inline-form">
        <div className="field">
          <label htmlFor={fileId}>LMS CSV export</label>
          <input
            id={fileId}
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </div>
        <SelectField
          label="Date format"
          name="dateFormat"
          value={dateFormat}
          onChange={setDateFormat}
          options={DATE_FORMATS}
        />
        <div className="field">
          <label htmlFor={dryId}>Check only (dry run)</label>
          <input id={dryId} type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
        </div>
        <button type="submit" className="primary" disabled={!file || busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </div>
      <ErrorMessage error={error} />
      {result && (
        <div role="status">
          <p>
            {result.file}: {plural(result.rows, 'row')}, {plural(result.added, 'completion')}{' '}
            {result.dryRun ? 'would be ' : ''}
            added, {plural(result.superseded, 'earlier failure')} {result.dryRun ? 'would be ' : ''}
            superseded by a pass, {result.alreadyRecorded} already recorded, {result.notCompleted} not
            completed, {plural(result.duplicatesInFile, 'duplicate')} in the file, {result.skipped.length}{' '}
            skipped, {plural(result.errors.length, 'error')}.
          </p>
          {result.errors.length > 0 && (
            <>
              <h4>Errors</h4>
              <ul className="warnings import-errors">
                {result.errors.map((i) => (
                  <li key={`${i.line}-${i.reason}`}>
                    {where(i)}: {i.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.skipped.length > 0 && (
            <>
              <h4>Skipped</h4>
              <ul className="warnings">
                {result.skipped.map((i) => (
                  <li key={`${i.line}-${i.reason}`}>
                    {where(i)}: {i.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}

export function TrainingTab() {
  const can = useCan();
  const compliance = useLoad(loadCompliance, []);
  const overdue = useLoad(loadOverdue, []);
  const c = compliance.data;
  return (
    <>
      <h2>Training compliance</h2>
      <ErrorMessage error={compliance.error ?? overdue.error} />
      {c ? (
        <>
          <div className="tiles">
            <div className="tile">
              <strong className="h3">{percent(c.overall.rate)}</strong>
              <br />
              <span>
                organization ({c.overall.current} of {c.overall.required} current)
              </span>
            </div>
            <div className="tile">
              <strong className="h3">{percent(c.target)}</strong>
              <br />
              <span>target</span>
            </div>
            <div className="tile">
              <strong className="h3">{c.overall.overdue}</strong>
              <br />
              <span>overdue</span>
            </div>
          </div>
          <section className="card" aria-labelledby="training-by-department">
            <h3 id="training-by-department">By department (target {percent(c.target)})</h3>
            <ComplianceBars figures={c.byDepartment} target={c.target} />
          </section>
          <DataTable
            caption="Training compliance by department"
            rows={[...c.bySite, ...c.byDepartment]}
            rowKey={(f) => `${f.scope}-${f.siteId}-${f.department}`}
            empty="Nothing is required yet."
            columns={[
              { key: 'site', label: 'Site', render: (f) => f.siteName ?? '—' },
              {
                key: 'dept',
                label: 'Department',
                render: (f) => (f.scope === 'site' ? 'whole site' : (f.department ?? '—')),
              },
              { key: 'req', label: 'Required', render: (f) => f.required },
              { key: 'cur', label: 'Current', render: (f) => f.current },
              { key: 'over', label: 'Overdue', render: (f) => f.overdue },
              { key: 'rate', label: 'Rate', render: (f) => percent(f.rate) },
              {
                key: 'below',
                label: 'Target',
                render: (f) =>
                  f.belowTarget ? <Badge tone="not-met">below target</Badge> : <Badge tone="met">met</Badge>,
              },
            ]}
          />
        </>
      ) : (
        <Loading what="training compliance" />
      )}
      <h3>Overdue training</h3>
      {overdue.data ? (
        <DataTable
          caption="People with overdue training"
          rows={overdue.data.items}
          rowKey={(s) => `${s.personId}-${s.courseId}`}
          empty="Nobody is overdue."
          columns={[
            { key: 'person', label: 'Person', render: (s) => s.person },
            { key: 'dept', label: 'Department', render: (s) => s.department ?? '—' },
            { key: 'site', label: 'Site', render: (s) => s.site ?? '—' },
            { key: 'course', label: 'Course', render: (s) => `${s.courseCode} ${s.course}` },
            { key: 'state', label: 'State', render: (s) => <Badge tone="overdue">{s.state}</Badge> },
            { key: 'due', label: 'Due on', render: (s) => s.dueOn ?? '—' },
            { key: 'last', label: 'Last completed', render: (s) => s.lastCompleted ?? 'never' },
            {
              key: 'days',
              label: 'Days overdue',
              render: (s) => (s.daysLeft === null ? '—' : Math.max(0, -s.daysLeft)),
            },
          ]}
        />
      ) : (
        <Loading what="overdue training" />
      )}
      {can('program:write') && (
        <ImportForm
          onImported={() => {
            compliance.reload();
            overdue.reload();
          }}
        />
      )}
    </>
  );
}
