/**
 * @module Security officers (GET /officers/coverage, GET /officers): who holds the office of the
 * organization and of each site today, the warnings (no officer, a term ending), and every current and
 * future term; with program:write, designate an officer or deputy (POST /officers) and end a term
 * (POST /officers/{id}/end).
 */
import { type FormEvent, useId, useState } from 'react';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Badge, Dialog, ErrorMessage, Loading, SelectField, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';
import { today } from './program-format.js';

type Coverage = Awaited<ReturnType<typeof loadCoverage>>;
type OfficerRef = NonNullable<Coverage['organization']['primary']>;
type Officer = Awaited<ReturnType<typeof loadOfficers>>['officers'][number];

const loadCoverage = () => ok(api().officers.coverage.$get());
const loadOfficers = () => ok(api().officers.$get({ query: {} }));

function who(ref: OfficerRef | null): string {
  if (!ref) return '—';
  return `${ref.name}${ref.email ? ` <${ref.email}>` : ''}`;
}

const term = (start: string, end: string | null) => `${start} – ${end ?? 'open-ended'}`;

function DesignateForm(props: { sites: Coverage['sites']; onDone: (message: string) => void }) {
  const people = useLoad(() => ok(api().people.$get({ query: { status: 'active' } })), []);
  const [person, setPerson] = useState('');
  const [site, setSite] = useState('');
  const [deputy, setDeputy] = useState(false);
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState('');
  const [error, setError] = useState<unknown>(null);
  const deputyId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const o = await ok(
        api().officers.$post({
          json: { person, site: site || null, deputy, from, ...(to ? { to } : {}) },
        }),
      );
      props.onDone(
        `${o.name} designated ${o.role === 'deputy' ? 'deputy ' : ''}security officer of ${o.site ?? 'the organization'} from ${o.termStart}.`,
      );
      setPerson('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Designate an officer">
      <h3>Designate an officer</h3>
      <div className="inline-form">
        <SelectField
          label="Person"
          name="person"
          value={person}
          empty="choose…"
          onChange={setPerson}
          options={(people.data?.items ?? []).map((p) => ({
            value: p.id,
            label: `${p.name}${p.jobRole ? `, ${p.jobRole}` : ''}${p.site ? ` (${p.site})` : ''}`,
          }))}
        />
        <SelectField
          label="Scope"
          name="scope"
          value={site}
          onChange={setSite}
          options={[
            { value: '', label: 'The organization' },
            ...props.sites.map((s) => ({ value: s.siteId, label: `Site ${s.siteName}` })),
          ]}
        />
        <div className="field">
          <label htmlFor={deputyId}>Deputy</label>
          <input
            id={deputyId}
            type="checkbox"
            checked={deputy}
            onChange={(e) => setDeputy(e.target.checked)}
          />
        </div>
        <TextField label="First day" name="from" type="date" value={from} onChange={setFrom} required />
        <TextField label="Last day (optional)" name="to" type="date" value={to} onChange={setTo} />
        <button type="submit" className="primary" disabled={!person}>
          Designate
        </button>
      </div>
      <ErrorMessage error={error ?? people.error} />
    </form>
  );
}

function EndTermForm(props: { officer: Officer; onDone: (m: string) => void; onClose: () => void }) {
  const [on, setOn] = useState(today());
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const o = await ok(api().officers[':id'].end.$post({ param: { id: props.officer.id }, json: { on } }));
      props.onDone(`${o.name}'s term ends on ${o.termEnd ?? on}.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit}>
      <p className="muted">
        {props.officer.name}, {props.officer.role} of {props.officer.site ?? 'the organization'}
      </p>
      <TextField label="Last day of the term" name="on" type="date" value={on} onChange={setOn} required />
      <ErrorMessage error={error} />
      <div className="toolbar">
        <button type="submit" className="primary">
          End term
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function OfficersTab() {
  const can = useCan();
  const coverage = useLoad(loadCoverage, []);
  const officers = useLoad(loadOfficers, []);
  const [ending, setEnding] = useState<Officer | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const done = (m: string) => {
    setEnding(null);
    setMessage(m);
    coverage.reload();
    officers.reload();
  };

  const columns: Column<Officer>[] = [
    { key: 'name', label: 'Officer', render: (o) => o.name },
    { key: 'scope', label: 'Scope', render: (o) => o.site ?? 'Organization' },
    { key: 'role', label: 'Role', render: (o) => o.role },
    { key: 'term', label: 'Term', render: (o) => term(o.termStart, o.termEnd) },
    {
      key: 'in',
      label: 'In term',
      render: (o) => (o.inTerm ? <Badge tone="current">in term</Badge> : 'not yet'),
    },
    { key: 'contact', label: 'Contact', render: (o) => [o.email, o.phone].filter(Boolean).join(', ') || '—' },
  ];
  if (can('program:write'))
    columns.push({
      key: 'act',
      label: 'Actions',
      render: (o) => (
        <button type="button" onClick={() => setEnding(o)} aria-label={`End the term of ${o.name}`}>
          End term
        </button>
      ),
    });

  const c = coverage.data;
  return (
    <>
      <h2>Security officers</h2>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <ErrorMessage error={coverage.error ?? officers.error} />
      {c ? (
        <>
          {c.warnings.length > 0 && (
            <section className="card" aria-labelledby="officer-warnings">
              <h3 id="officer-warnings">Coverage warnings</h3>
              <ul className="warnings">
                {c.warnings.map((w) => (
                  <li key={`${w.code}-${w.siteId}-${w.message}`}>
                    <Badge tone="warning">{w.code}</Badge> {w.message}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <DataTable
            caption="Officers by organization and site"
            rowKey={(r) => r.key}
            rows={[
              { key: 'org', scope: 'Organization', ...c.organization },
              ...c.sites.map((s) => ({
                key: s.siteId,
                scope: `Site ${s.siteName}`,
                primary: s.primary,
                deputies: s.deputies,
              })),
            ]}
            columns={[
              { key: 'scope', label: 'Scope', render: (r) => r.scope },
              {
                key: 'primary',
                label: 'Security officer',
                render: (r) => (r.primary ? who(r.primary) : <Badge tone="not-met">none in term</Badge>),
              },
              {
                key: 'term',
                label: 'Term',
                render: (r) => (r.primary ? term(r.primary.termStart, r.primary.termEnd) : '—'),
              },
              {
                key: 'deputies',
                label: 'Deputies',
                render: (r) => r.deputies.map((d) => who(d)).join('; ') || '—',
              },
            ]}
          />
          {can('program:write') && <DesignateForm sites={c.sites} onDone={done} />}
        </>
      ) : (
        <Loading what="officer coverage" />
      )}
      <h3>Current and future terms</h3>
      {officers.data ? (
        <DataTable
          caption="Officer designations"
          columns={columns}
          rows={officers.data.officers}
          rowKey={(o) => o.id}
          empty="No officer has been designated."
        />
      ) : (
        <Loading what="officers" />
      )}
      <Dialog title="End a term" open={ending !== null} onClose={() => setEnding(null)}>
        {ending && <EndTermForm officer={ending} onDone={done} onClose={() => setEnding(null)} />}
      </Dialog>
    </>
  );
}
