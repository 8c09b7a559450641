/**
 * @module One device: identity with where each fact came from, declared/observed conflicts, services and
 * protocols, communication peers, findings with their evidence, matched vulnerabilities with their
 * explanation and VEX status, tasks, alerts and the device's history (audit trail and which sources
 * observed it when). Each section loads on its own and appears only with its permission.
 */
import { type FormEvent, useId, useState } from 'react';
import { labelOfDevice } from '../../../src/inventory/device-name.js';
import { api, ok } from '../api.js';
import { CreateTaskButton } from '../components/create-task.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading, SelectField, TextField } from '../components/ui.js';
import { href, Link, useLoad } from '../router.js';
import { useCan } from '../session.js';
import { today } from './program-format.js';

const none = Promise.resolve(null);

function Section(props: { title: string; children: React.ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export default function DevicePage({ id }: { id: string }) {
  const can = useCan();
  const device = useLoad(() => ok(api().devices[':id'].$get({ param: { id } })), [id]);
  const d = device.data;
  const deviceId = d?.id;
  const peers = useLoad(
    () =>
      deviceId && can('monitor:read')
        ? ok(api().devices[':id'].peers.$get({ param: { id: deviceId }, query: {} }))
        : none,
    [deviceId],
  );
  const findings = useLoad(
    () =>
      deviceId && can('findings:read')
        ? ok(api().findings.$get({ query: { deviceId, limit: '200' } as never }))
        : none,
    [deviceId],
  );
  const risk = useLoad(
    () => (deviceId && can('risk:read') ? ok(api().queue.$get({ query: { deviceId } as never })) : none),
    [deviceId],
  );
  const tasks = useLoad(
    () => (deviceId && can('tasks:read') ? ok(api().tasks.$get({ query: { deviceId } as never })) : none),
    [deviceId],
  );
  const alerts = useLoad(
    () =>
      deviceId && can('alerts:read')
        ? ok(api().alerts.$get({ query: { deviceId, limit: '50' } as never }))
        : none,
    [deviceId],
  );

  if (device.error) return <ErrorMessage error={device.error} />;
  if (!d) return <Loading what="the device" />;

  // The name the queue, alerts and tasks use for this device (its asset tag, else make, model and address).
  const title = labelOfDevice(d);
  const identity: [string, string | null][] = [
    ['Manufacturer', d.manufacturer],
    ['Model', d.model],
    ['Model number', d.modelNumber],
    ['Class', d.deviceClass],
    ['Serial number', d.serialNumber],
    ['UDI', d.udi],
    ['Firmware', d.firmwareVersion],
    ['Software', d.softwareVersion],
    ['Operating system', [d.os, d.osVersion].filter(Boolean).join(' ') || null],
    ['OS end of support', d.osEndOfSupport],
    ['Criticality', d.criticality],
    ['ePHI', d.ephi === null ? null : d.ephi ? 'yes' : 'no'],
    ['Site', d.site],
    ['Location', [d.building, d.floor, d.room].filter(Boolean).join(' / ') || null],
    ['Department', d.department],
    ['Owner', d.owner],
    ['State', d.state],
    ['MAC addresses', d.macs.join(', ') || null],
    ['IP addresses', d.ips.join(', ') || null],
    ['Host names', d.hostnames.join(', ') || null],
    ['First seen', formatDate(d.firstSeen)],
    ['Last seen', formatDate(d.lastSeen)],
  ];

  type Fact = (typeof d.facts)[number];
  // A discovered device's MACs, IPs and host names are identifiers, not facts: each with the source
  // that saw it and when. Without them a device that only a capture knows would have no provenance.
  const identifierFacts: Fact[] = d.identifiers.map((i) => ({
    field: i.kind,
    value: i.value,
    source: i.source,
    sourceRef: null,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    confidence: null,
  }));
  type RiskItem = NonNullable<typeof risk.data>['items'][number];
  const factColumns: Column<Fact>[] = [
    { key: 'field', label: 'Field', render: (f) => f.field },
    { key: 'value', label: 'Value', render: (f) => f.value ?? '—' },
    { key: 'source', label: 'Source', render: (f) => f.source },
    { key: 'ref', label: 'Where', render: (f) => f.sourceRef ?? '—' },
    { key: 'seen', label: 'Last seen', render: (f) => formatDate(f.lastSeen) },
  ];

  return (
    <>
      <p>
        <Link href="/inventory">← Inventory</Link>
      </p>
      <h1>
        {title}{' '}
        {d.assetTag && <span className="muted">{[d.manufacturer, d.model].filter(Boolean).join(' ')}</span>}
      </h1>
      <div className="grid2">
        <Section title="Identity">
          <dl className="facts">
            {identity.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v ?? '—'}</dd>
              </div>
            ))}
          </dl>
        </Section>
        <Section title="Services and protocols">
          {d.services.length === 0 && d.protocols.length === 0 ? (
            <p className="muted">No services or protocols observed.</p>
          ) : (
            <>
              <ul>
                {d.services.map((s) => (
                  <li key={`${s.transport}/${s.port}`}>
                    {s.port}/{s.transport} {s.protocol ?? ''} {s.product ?? ''} {s.version ?? ''}
                    {s.encrypted === false && <Badge tone="high">cleartext</Badge>}
                  </li>
                ))}
              </ul>
              {d.protocols.length > 0 && <p>Protocols: {d.protocols.join(', ')}</p>}
            </>
          )}
          {d.hints.length > 0 && (
            <DataTable
              caption="What the device says about itself"
              rows={d.hints}
              rowKey={(x) => `${x.kind}\u0000${x.value}`}
              empty=""
              columns={[
                { key: 'kind', label: 'Kind', render: (x) => x.kind },
                { key: 'value', label: 'Value', render: (x) => x.value },
                { key: 'first', label: 'First seen', render: (x) => formatDate(x.firstSeen) },
                { key: 'last', label: 'Last seen', render: (x) => formatDate(x.lastSeen) },
                {
                  key: 'source',
                  label: 'First source',
                  render: (x) => `${x.sourceRef}${x.evidence.packet ? `, packet ${x.evidence.packet}` : ''}`,
                },
              ]}
            />
          )}
          {d.suggestions.length > 0 && (
            <Suggestions deviceId={d.id} suggestions={d.suggestions} onAdopted={device.reload} />
          )}
          {d.conflicts.length > 0 && (
            <>
              <h3>Declared and observed disagree</h3>
              <ul>
                {d.conflicts.map((c) => (
                  <li key={c.field}>
                    {c.field}: declared {c.declared.map((v) => `${v.value} (${v.source})`).join(', ')}
                    {'; '}
                    observed {c.observed.map((v) => `${v.value} (${v.source})`).join(', ')}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Section>
      </div>

      {d.vulnerabilities && (
        <Section title="Vulnerabilities">
          <DataTable
            caption="Matched vulnerabilities"
            rows={d.vulnerabilities}
            rowKey={(v) => v.vulnerability}
            empty="No vulnerability matches."
            columns={[
              {
                key: 'v',
                label: 'Vulnerability',
                render: (v) => (
                  <Link href={`/vulnerabilities/${encodeURIComponent(v.vulnerability)}`}>
                    {v.cve ?? v.vulnerability}
                  </Link>
                ),
              },
              { key: 'adv', label: 'Advisories', render: (v) => v.advisoryIds.join(', ') || '—' },
              { key: 'status', label: 'Status', render: (v) => <Badge tone={v.status}>{v.status}</Badge> },
              { key: 'conf', label: 'Confidence', render: (v) => `${Math.round(v.confidence * 100)} %` },
              { key: 'fix', label: 'Fix', render: (v) => (v.fixAvailable ? 'available' : 'none known') },
              {
                key: 'vex',
                label: 'VEX',
                render: (v) =>
                  v.vex ? (
                    <>
                      <Badge tone={v.vex.status}>{v.vex.status}</Badge>
                      {v.vex.justification ? ` ${v.vex.justification.replaceAll('_', ' ')}` : ''}
                      {v.vex.impactStatement ? `: ${v.vex.impactStatement}` : ''}
                      <span className="muted">
                        {' '}
                        ({v.vex.origin === 'hospital' ? 'hospital statement' : 'imported'}
                        {v.vex.author ? ` by ${v.vex.author}` : ''})
                      </span>
                    </>
                  ) : (
                    <span className="muted">no statement</span>
                  ),
              },
              { key: 'why', label: 'Why', render: (v) => v.explanation },
            ]}
          />
        </Section>
      )}

      {risk.data && (
        <Section title="Risk decisions">
          <DataTable
            caption="Risk decisions and their inputs"
            rows={risk.data.items}
            rowKey={(i) => `${i.kind}-${i.vulnerability ?? i.findingId}`}
            empty="Nothing of this device is in the work queue."
            rowClass={(i) => (i.overdue ? 'overdue' : undefined)}
            columns={[
              { key: 'rank', label: 'Queue rank', render: (i) => i.rank },
              {
                key: 'what',
                label: 'Vulnerability or finding',
                render: (i) => i.cve ?? i.vulnerability ?? i.title,
              },
              {
                key: 'decision',
                label: 'Decision',
                render: (i) => <Badge tone={i.decision}>{i.decision}</Badge>,
              },
              {
                key: 'due',
                label: 'Due',
                render: (i) =>
                  i.overdue ? <Badge tone="critical">overdue {formatDate(i.due)}</Badge> : formatDate(i.due),
              },
              {
                key: 'inputs',
                label: 'Inputs',
                render: (i) => (
                  <ul>
                    {i.evidence.map((e) => (
                      <li key={`${e.point}-${e.value}`}>
                        {e.point} = {e.value}: {e.because}
                      </li>
                    ))}
                  </ul>
                ),
              },
              ...(can('tasks:write')
                ? [
                    {
                      key: 'act',
                      label: 'Action',
                      render: (i: RiskItem) => <CreateTaskButton item={i} onCreated={tasks.reload} />,
                    },
                  ]
                : []),
            ]}
          />
        </Section>
      )}

      {findings.data && (
        <Section title="Findings">
          <DataTable
            caption="Findings"
            rows={findings.data.items}
            rowKey={(f) => f.id}
            empty="No findings."
            columns={[
              { key: 'sev', label: 'Severity', render: (f) => <Badge tone={f.severity}>{f.severity}</Badge> },
              { key: 'title', label: 'Finding', render: (f) => f.title },
              { key: 'state', label: 'State', render: (f) => f.state },
              {
                key: 'ev',
                label: 'Evidence',
                render: (f) =>
                  `${f.lastEvidence.summary} (${f.lastEvidence.file}${f.lastEvidence.packet ? ` packet ${f.lastEvidence.packet}` : ''})`,
              },
              { key: 'n', label: 'Seen', render: (f) => `${f.occurrences}×, last ${formatDate(f.lastSeen)}` },
            ]}
          />
        </Section>
      )}

      {peers.data && (
        <Section title="Communication peers">
          <DataTable
            caption="Communication peers"
            rows={peers.data.peers}
            rowKey={(p) => `${p.ip}-${p.role}`}
            empty="No conversations recorded."
            columns={[
              {
                key: 'ip',
                label: 'Peer',
                render: (p) =>
                  p.deviceId ? <Link href={`/devices/${p.deviceId}`}>{p.deviceLabel ?? p.ip}</Link> : p.ip,
              },
              { key: 'role', label: 'Role', render: peerRole },
              { key: 'dir', label: 'Direction', render: (p) => p.direction },
              { key: 'ports', label: 'Ports', render: (p) => p.ports.join(', ') },
              { key: 'proto', label: 'Protocols', render: (p) => p.protocols.join(', ') || '—' },
              { key: 'conn', label: 'Connections', render: (p) => p.connections.toLocaleString('en') },
              { key: 'last', label: 'Last seen', render: (p) => formatDate(p.lastSeen) },
            ]}
          />
        </Section>
      )}

      {tasks.data && (
        <Section title="Tasks">
          <DataTable
            caption="Remediation tasks"
            rows={tasks.data.items}
            rowKey={(t) => t.id}
            empty="No tasks."
            columns={[
              {
                key: 'title',
                label: 'Task',
                render: (t) => <Link href={href('/tasks', { task: t.id })}>{t.title}</Link>,
              },
              { key: 'state', label: 'State', render: (t) => t.state },
              {
                key: 'due',
                label: 'Due',
                render: (t) =>
                  t.overdue ? <Badge tone="critical">overdue {formatDate(t.due)}</Badge> : formatDate(t.due),
              },
            ]}
          />
        </Section>
      )}

      {alerts.data && (
        <Section title="Alerts">
          <DataTable
            caption="Alerts on this device"
            rows={alerts.data.items}
            rowKey={(a) => a.id}
            empty="No alerts."
            columns={[
              { key: 'sev', label: 'Severity', render: (a) => <Badge tone={a.severity}>{a.severity}</Badge> },
              { key: 'title', label: 'Alert', render: (a) => a.title },
              { key: 'state', label: 'State', render: (a) => a.state },
              { key: 'last', label: 'Last seen', render: (a) => formatDate(a.lastSeen) },
            ]}
          />
        </Section>
      )}

      <Sanitizations deviceId={d.id} retired={d.state === 'retired'} ephi={d.ephi} />

      <History deviceId={d.id} facts={[...d.facts, ...identifierFacts]} />

      <Section title="Where each fact came from">
        <DataTable
          caption="Facts and their sources"
          rows={[...d.facts, ...identifierFacts]}
          rowKey={(f) => `${f.field}-${f.source}-${f.sourceRef}-${f.value}`}
          columns={factColumns}
        />
      </Section>
    </>
  );
}

/**
 * A peer's role as the baseline keys it (`model:<model id>`, `class:<device class>`, `internet`,
 * `device:<id>`, `host:<address>`; docs/baseline.md), with the model's name instead of its id; an
 * unclassified peer's role is the peer itself, which the row already names.
 */
function peerRole(p: { role: string; manufacturer: string | null; model: string | null }): string {
  if (p.role.startsWith('model:'))
    return `model ${[p.manufacturer, p.model].filter(Boolean).join(' ') || p.role.slice(6)}`;
  if (p.role.startsWith('class:')) return `class ${p.role.slice(6)}`;
  if (p.role.startsWith('device:')) return 'unclassified device';
  if (p.role.startsWith('host:')) return 'unknown host';
  return p.role;
}

/** One line per audit entry: what changed, from its summary's before/after or its other fields. */
function describe(summary: Record<string, unknown>): string {
  const before = summary['before'] as Record<string, unknown> | undefined;
  const after = summary['after'] as Record<string, unknown> | undefined;
  if (after && typeof after === 'object') {
    return Object.keys(after)
      .map((k) => `${k}: ${JSON.stringify(before?.[k] ?? null)} → ${JSON.stringify(after[k])}`)
      .join('; ');
  }
  return Object.entries(summary)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('; ');
}

/**
 * The device's history: its audit trail newest first (GET /devices/{id}/history, older pages on demand)
 * and, from its facts, which source observed it from when to when.
 */
function History(props: {
  deviceId: string;
  facts: { source: string; sourceRef: string | null; firstSeen: string; lastSeen: string }[];
}) {
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages.at(-1);
  const history = useLoad(
    () =>
      ok(
        api().devices[':id'].history.$get({
          param: { id: props.deviceId },
          query: { limit: '25', ...(before ? { beforeSeq: String(before) } : {}) } as never,
        }),
      ),
    [props.deviceId, before],
  );
  const sources = new Map<string, { refs: Set<string>; first: string; last: string }>();
  for (const f of props.facts) {
    const s = sources.get(f.source) ?? { refs: new Set<string>(), first: f.firstSeen, last: f.lastSeen };
    if (f.sourceRef) s.refs.add(f.sourceRef.replace(/:\d+$/, ''));
    if (f.firstSeen < s.first) s.first = f.firstSeen;
    if (f.lastSeen > s.last) s.last = f.lastSeen;
    sources.set(f.source, s);
  }
  const observed = [...sources].sort((a, b) => b[1].last.localeCompare(a[1].last));
  return (
    <Section title="History">
      <h3>Observed by</h3>
      <DataTable
        caption="Sources that observed this device"
        rows={observed}
        rowKey={([source]) => source}
        empty="No source has reported this device."
        columns={[
          { key: 'source', label: 'Source', render: ([source]) => source },
          { key: 'refs', label: 'Where', render: ([, s]) => [...s.refs].slice(0, 5).join(', ') || '—' },
          { key: 'first', label: 'First', render: ([, s]) => formatDate(s.first) },
          { key: 'last', label: 'Last', render: ([, s]) => formatDate(s.last) },
        ]}
      />
      <h3>Audit trail</h3>
      <ErrorMessage error={history.error} />
      {history.data ? (
        <>
          <DataTable
            caption="Device history"
            rows={history.data.items}
            rowKey={(e) => String(e.seq)}
            empty="Nothing recorded about this device yet."
            columns={[
              { key: 'at', label: 'When', render: (e) => formatDate(e.at) },
              { key: 'actor', label: 'Who', render: (e) => e.actor },
              { key: 'action', label: 'Action', render: (e) => e.action },
              { key: 'about', label: 'About', render: (e) => e.about },
              {
                key: 'what',
                label: 'What',
                render: (e) => (e.outcome === 'success' ? '' : `${e.outcome}: `) + describe(e.summary),
              },
            ]}
          />
          <p>
            {pages.length > 1 && (
              <button type="button" onClick={() => setPages((p) => p.slice(0, -1))}>
                Newer entries
              </button>
            )}{' '}
            {history.data.nextBeforeSeq !== null && (
              <button
                type="button"
                onClick={() => setPages((p) => [...p, history.data?.nextBeforeSeq ?? undefined])}
              >
                Older entries
              </button>
            )}
          </p>
        </>
      ) : (
        !history.error && <Loading what="the history" />
      )}
    </Section>
  );
}

/**
 * Records that the device's ePHI was sanitized (NIST SP 800-88: clear, purge, destroy) before disposal or
 * re-use, and a form to add one: the evidence of HIPAA §164.310(d)(2)(i)–(ii) (docs/compliance.md).
 * A retired device that held ePHI without a record is named as a gap in the compliance report.
 */
const SUGGESTION_LABELS: Record<string, string> = {
  manufacturer: 'Manufacturer',
  model: 'Model',
  deviceClass: 'Class',
  softwareVersion: 'Software',
  firmwareVersion: 'Firmware',
  os: 'OS',
  osVersion: 'OS version',
};

/**
 * What fingerprinting suggests for fields the device has no value for, below the confidence of a fact
 * (a medical maker's MAC prefix, say). Adopting one declares it, as editing the device would (audited).
 */
function Suggestions(props: {
  deviceId: string;
  suggestions: {
    field: string;
    value: string;
    confidence: number;
    sourceRef: string;
    evidence: { summary: string };
  }[];
  onAdopted: () => void;
}) {
  const can = useCan();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const adopt = async (field: string, value: string) => {
    setError(null);
    setBusy(field);
    try {
      await ok(api().devices[':id'].$patch({ param: { id: props.deviceId }, json: { [field]: value } }));
      props.onAdopted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  return (
    <>
      <h3>Suggested by fingerprinting</h3>
      <p>Too uncertain to be facts: check them on the device before adopting one.</p>
      <ErrorMessage error={error} />
      <ul>
        {props.suggestions.map((x) => (
          <li key={x.field}>
            {SUGGESTION_LABELS[x.field] ?? x.field}: <strong>{x.value}</strong> (confidence{' '}
            {x.confidence.toFixed(2)}; {x.sourceRef}: {x.evidence.summary}){' '}
            {can('devices:write') && (
              <button type="button" disabled={busy !== ''} onClick={() => adopt(x.field, x.value)}>
                Adopt {SUGGESTION_LABELS[x.field]?.toLowerCase() ?? x.field}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

function Sanitizations(props: { deviceId: string; retired: boolean; ephi: boolean | null }) {
  const can = useCan();
  const records = useLoad(
    () => ok(api().devices[':id'].sanitizations.$get({ param: { id: props.deviceId } })),
    [props.deviceId],
  );
  const [method, setMethod] = useState('');
  const [performedOn, setPerformedOn] = useState(today());
  const [performedBy, setPerformedBy] = useState('');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone('');
    try {
      const r = await ok(
        api().devices[':id'].sanitizations.$post({
          param: { id: props.deviceId },
          json: { method, performedOn, performedBy, ...(reference.trim() ? { reference } : {}) },
        }),
      );
      setDone(`Recorded: ${r.method} on ${r.performedOn} by ${r.performedBy}.`);
      setMethod('');
      setReference('');
      records.reload();
    } catch (err) {
      setError(err);
    }
  };
  const missing = props.retired && props.ephi !== false && records.data?.length === 0;
  return (
    <Section title="Sanitization (disposal and re-use)">
      {missing && (
        <p>
          <Badge tone="high">no record</Badge> This device is retired and{' '}
          {props.ephi ? 'held ePHI' : 'may have held ePHI'}: record how its data was sanitized, or the
          compliance report names it as a gap of HIPAA §164.310(d).
        </p>
      )}
      <ErrorMessage error={records.error} />
      {records.data ? (
        <DataTable
          caption="Sanitization records"
          rows={records.data}
          rowKey={(r) => r.id}
          empty="No sanitization recorded."
          columns={[
            { key: 'on', label: 'Performed on', render: (r) => r.performedOn },
            { key: 'method', label: 'Method', render: (r) => r.method },
            { key: 'by', label: 'By', render: (r) => r.performedBy },
            { key: 'ref', label: 'Reference', render: (r) => r.reference ?? '' },
            { key: 'rec', label: 'Recorded', render: (r) => `${r.recordedBy}, ${formatDate(r.recordedAt)}` },
          ]}
        />
      ) : (
        !records.error && <Loading what="the sanitization records" />
      )}
      {can('devices:write') && (
        <form onSubmit={submit} aria-label="Record a sanitization">
          <div className="inline-form">
            <SelectField
              label="Method (NIST SP 800-88)"
              name="method"
              value={method}
              empty="choose…"
              onChange={setMethod}
              options={[
                { value: 'clear', label: 'clear (overwrite)' },
                { value: 'purge', label: 'purge (secure erase, crypto erase)' },
                { value: 'destroy', label: 'destroy (shred, disintegrate)' },
              ]}
            />
            <TextField
              label="Performed on"
              name="performedOn"
              type="date"
              value={performedOn}
              onChange={setPerformedOn}
              required
            />
            <TextField
              label="Performed or verified by"
              name="performedBy"
              value={performedBy}
              onChange={setPerformedBy}
              required
            />
            <TextField
              label="Certificate or work order (optional)"
              name="reference"
              value={reference}
              onChange={setReference}
            />
            <button type="submit" className="primary" disabled={!method || !performedBy.trim()}>
              Record
            </button>
          </div>
          {done && <p role="status">{done}</p>}
          <ErrorMessage error={error} />
        </form>
      )}
    </Section>
  );
}
