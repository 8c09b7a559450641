/**
 * @module Import: an advisory (POST /advisories/import, answered when it is stored and matched) or a
 * packet capture (POST /captures/import, answered at once with a job that GET /imports/{id} reports on)
 * from a file in the browser, with the upload's progress, then the job's, then what was stored with
 * links to it.
 */

import type { InferResponseType } from 'hono/client';
import { type FormEvent, useEffect, useId, useState } from 'react';
import type { ApiClient } from '../../../src/client/api-client.js';
import { pluralWord } from '../../../src/format-count.js';
import { api, ok, uploadFile } from '../api.js';
import { ErrorMessage } from '../components/ui.js';
import { href, Link } from '../router.js';
import { useCan } from '../session.js';

type AdvisoryAnswer = InferResponseType<ApiClient['advisories']['import']['$post'], 200>;
type CaptureAnswer = InferResponseType<ApiClient['captures']['import']['$post'], 202>;
type ImportJob = InferResponseType<ApiClient['imports'][':id']['$get'], 200>;

/** How often a running capture job is asked for its progress. */
const POLL_MS = 1000;

const mb = (bytes: number) => `${(bytes / 1e6).toLocaleString('en', { maximumFractionDigits: 1 })} MB`;
/** The shared noun rule (src/format-count.ts), with the count grouped for reading: "12,345 packets". */
const plural = (n: number, one: string, many?: string) =>
  `${n.toLocaleString('en')} ${pluralWord(n, one, many)}`;

/** A labelled <progress> with its figures as text, announced politely as it advances. */
function Progress(props: { label: string; done: number; total: number; detail?: string }) {
  const id = useId();
  const pct = props.total > 0 ? Math.min(100, Math.floor((100 * props.done) / props.total)) : 0;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <progress id={id} max={props.total || 1} value={Math.min(props.done, props.total || 1)} />
      <span>
        {pct} % ({mb(props.done)} of {mb(props.total)}){props.detail ? `, ${props.detail}` : ''}
      </span>
    </div>
  );
}

/** A file input with its label, and the button that sends the chosen file. */
function FileForm(props: {
  label: string;
  accept: string;
  button: string;
  busy: boolean;
  onSubmit: (file: File) => void;
}) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) props.onSubmit(file);
  };
  return (
    <form onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{props.label}</label>
        <input
          id={id}
          type="file"
          accept={props.accept}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      <button type="submit" className="primary" disabled={!file || props.busy}>
        {props.button}
      </button>
    </form>
  );
}

function AdvisoryImport() {
  const headingId = useId();
  const [sent, setSent] = useState<{ done: number; total: number } | null>(null);
  const [answer, setAnswer] = useState<AdvisoryAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const busy = sent !== null && !answer && !error;

  const start = (file: File) => {
    setAnswer(null);
    setError(null);
    setSent({ done: 0, total: file.size });
    const url = api().advisories.import.$url({ query: { fileName: file.name } });
    uploadFile<AdvisoryAnswer>(url, file, (done, total) => setSent({ done, total })).then(
      setAnswer,
      setError,
    );
  };
  const id = answer?.file.advisoryId ?? null;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Advisory</h2>
      <p className="muted">
        A CSAF 2.0 advisory (CISA ICSMA or a manufacturer's), an NVD or CVE 5 record, OSV, the KEV catalog or
        EPSS scores; JSON, or gzip-compressed.
      </p>
      <FileForm
        label="Advisory file"
        accept=".json,.jsonl,.gz,.csv,application/json"
        button="Import advisory"
        busy={busy}
        onSubmit={start}
      />
      <div aria-live="polite">
        {busy && sent && (
          <Progress
            label="Uploading the advisory"
            done={sent.done}
            total={sent.total}
            detail={sent.done >= sent.total ? 'importing and matching' : undefined}
          />
        )}
        {answer && (
          <div role="status">
            <p>
              {answer.file.file}: {answer.file.status}. {answer.file.summary}
            </p>
            <ul>
              {id && (
                <li>
                  Advisory <Link href={`/vulnerabilities/${encodeURIComponent(id)}`}>{id}</Link> with its
                  fleet impact
                </li>
              )}
              {answer.match && (
                <li>
                  <Link href="/vulnerabilities">
                    {plural(answer.match.added, 'new match', 'new matches')}
                  </Link>
                  {answer.match.changed ? `, ${answer.match.changed} changed` : ''} (
                  {plural(answer.match.devices, 'device')} checked)
                </li>
              )}
            </ul>
            {answer.file.issues.length > 0 && (
              <ul>
                {answer.file.issues.slice(0, 20).map((i) => (
                  <li key={`${i.where}-${i.message}`}>
                    {i.where}: {i.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
      <ErrorMessage error={error} />
    </section>
  );
}

function CaptureResult({ job }: { job: ImportJob }) {
  const r = job.result;
  if (!r) return null;
  return (
    <ul>
      <li>
        {plural(r.packets, 'packet')} read, {plural(r.hosts, 'host')}
      </li>
      <li>
        <Link href={href('/inventory', { state: 'staged' })}>{plural(r.devices.staged, 'new device')}</Link>{' '}
        (staged for review), <Link href="/inventory">{r.devices.updated.toLocaleString('en')} updated</Link>,{' '}
        {r.devices.seen.toLocaleString('en')} seen again
        {r.unresolved ? `, ${plural(r.unresolved, 'host')} not tied to one device` : ''}
      </li>
      <li>
        {plural(r.findings.created, 'new finding')}, {r.findings.updated + r.findings.reopened} seen again;{' '}
        <Link href="/alerts">{plural(r.alerts.created, 'new alert')}</Link>
      </li>
      {r.newMatches !== null && (
        <li>
          <Link href="/vulnerabilities">
            {plural(r.newMatches, 'new vulnerability match', 'new vulnerability matches')}
          </Link>
        </li>
      )}
    </ul>
  );
}

function CaptureImport() {
  const headingId = useId();
  const [sent, setSent] = useState<{ done: number; total: number } | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () =>
      ok(api().imports[':id'].$get({ param: { id: jobId } })).then(
        (j) => {
          if (!live) return;
          setJob(j);
          if (j.state === 'running') timer = setTimeout(poll, POLL_MS);
        },
        (e: unknown) => live && setError(e),
      );
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [jobId]);

  const start = (file: File) => {
    setJobId(null);
    setJob(null);
    setError(null);
    setSent({ done: 0, total: file.size });
    const url = api().captures.import.$url({ query: { fileName: file.name } });
    uploadFile<CaptureAnswer>(url, file, (done, total) => setSent({ done, total })).then(
      (a) => setJobId(a.jobId),
      setError,
    );
  };
  const uploading = sent !== null && !jobId && !error;
  const running = jobId !== null && job?.state !== 'done' && job?.state !== 'failed' && !error;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Packet capture</h2>
      <p className="muted">
        A capture from tcpdump, dumpcap or Wireshark (pcap or pcapng, gzip-compressed or not). Devices it
        shows are added or updated, findings and alerts raised, as <code>vigil import</code> does. Patient
        data seen in it is never stored, only the fact that it was seen.
      </p>
      <FileForm
        label="Capture file"
        accept=".pcap,.pcapng,.cap,.gz"
        button="Import capture"
        busy={uploading || running}
        onSubmit={start}
      />
      <div aria-live="polite">
        {uploading && sent && <Progress label="Uploading the capture" done={sent.done} total={sent.total} />}
        {running && (
          <Progress
            label="Reading the capture"
            done={job?.bytesDone ?? 0}
            total={job?.bytesTotal ?? sent?.total ?? 0}
            detail={`${plural(job?.packets ?? 0, 'packet')}, ${plural(job?.devicesFound ?? 0, 'device')} found`}
          />
        )}
        {job?.state === 'done' && (
          <div role="status">
            <p>{job.fileName}: imported.</p>
            <CaptureResult job={job} />
          </div>
        )}
      </div>
      {job?.state === 'failed' && (
        <div className="error" role="alert">
          <p>
            {job.fileName}: import failed. {job.error}
          </p>
          {job.result && (
            <>
              <p>Stored from the part that could be read:</p>
              <CaptureResult job={job} />
            </>
          )}
        </div>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

export default function ImportPage() {
  const can = useCan();
  const advisories = can('advisories:write');
  const captures = can('devices:import');
  return (
    <>
      <h1>Import</h1>
      {!advisories && !captures && (
        <p role="alert">Importing needs the permission advisories:write or devices:import.</p>
      )}
      {advisories && <AdvisoryImport />}
      {captures && <CaptureImport />}
    </>
  );
}
