/**
 * @module The segmentation policy tabs of the network page: the policy matrix (zones × zones, the
 * services each cell allows) of the approved policy and of a newer draft, "Propose from observed
 * traffic" and "Approve" (policy:write); the simulation of stored traffic against the approved policy or
 * the draft (what would be blocked, by zone and by device); and the firewall export download.
 */

import { type FormEvent, type ReactNode, useState } from 'react';
import { plural } from '../../../src/format-count.js';
import type { SimulateResult } from '../../../src/policy/policy-service.js';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Badge, Dialog, ErrorMessage, formatDate, Loading, SelectField } from '../components/ui.js';
import { Link, useLoad } from '../router.js';
import { useCan } from '../session.js';

type Stored = Awaited<ReturnType<typeof loadPolicy>>['approved'] & {};

/** The rule fields the matrix shows (docs/policy.md "File format"). */
interface Rule {
  id: string;
  from: { zone: string; deviceClass?: string; department?: string; hosts?: string[] };
  to: { zone: string; deviceClass?: string; department?: string; hosts?: string[] };
  port: number;
  transport: string;
  protocol: string | null;
  reason: string;
  review: boolean;
}

interface Version {
  id: string;
  version: number;
  state: 'draft' | 'approved' | 'superseded';
  name: string;
  ruleCount: number;
  reviewCount: number;
  createdBy: string;
  createdAt: string;
}

function loadPolicy(site: string) {
  return ok(api().policy.$get({ query: site ? { site } : {} }));
}

/** The approved policy, and the newest draft when it is newer than the approved one. */
async function loadPolicies(site: string) {
  const shown = await loadPolicy(site);
  const versions = shown.versions as unknown as Version[];
  const newest = versions.find((v) => v.state === 'draft');
  const draft =
    newest && (!shown.approved || newest.version > shown.approved.version)
      ? await ok(api().policy[':id'].$get({ param: { id: newest.id } }))
      : null;
  return { approved: shown.approved, draft, versions };
}

const rulesOf = (p: Stored) => (p.policy['rules'] ?? []) as unknown as Rule[];

const side = (e: Rule['from']) =>
  [
    e.deviceClass ?? 'any device',
    e.department ? `@${e.department}` : '',
    e.hosts ? ` (${plural(e.hosts.length, 'host')})` : '',
  ].join('');

/** A side with its first addresses, for a person deciding on one rule. */
const sideWithHosts = (e: Rule['from']) =>
  e.hosts
    ? `${e.deviceClass ?? 'any device'} ${e.hosts.slice(0, 3).join(', ')}${e.hosts.length > 3 ? ` and ${e.hosts.length - 3} more` : ''}`
    : side(e);

const service = (r: Rule) =>
  `${r.transport === 'icmp' ? 'icmp' : `${r.port}/${r.transport}`}${r.protocol ? ` ${r.protocol}` : ''}`;

/** Zones × zones; each cell lists the rules from the row's zone to the column's zone. */
export function PolicyMatrix({ policy }: { policy: Stored }) {
  const rules = rulesOf(policy);
  const zones = [...new Set(rules.flatMap((r) => [r.from.zone, r.to.zone]))].sort();
  if (rules.length === 0) return <p className="muted">This policy allows nothing: every flow is denied.</p>;
  return (
    <div className="table-wrap">
      <table className="policy-matrix">
        <caption>
          Policy matrix of version {policy.version}: rows are the client's zone, columns the server's zone;
          everything not listed is denied.
        </caption>
        <thead>
          <tr>
            <th scope="col">from \ to</th>
            {zones.map((z) => (
              <th key={z} scope="col">
                {z}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {zones.map((from) => (
            <tr key={from}>
              <th scope="row">{from}</th>
              {zones.map((to) => {
                const cell = rules.filter((r) => r.from.zone === from && r.to.zone === to);
                return (
                  <td key={to}>
                    {cell.length === 0 ? (
                      <span className="muted">denied</span>
                    ) : (
                      <ul className="rule-list">
                        {cell.map((r) => (
                          <li key={r.id} title={r.reason}>
                            <code>{service(r)}</code> {side(r.from)} → {side(r.to)}
                            {r.review && (
                              <>
                                {' '}
                                <Badge tone="high">review</Badge>
                              </>
                            )}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PolicySummary({ policy }: { policy: Stored }) {
  return (
    <p>
      <Badge tone={policy.state === 'approved' ? 'ok' : undefined}>{policy.state}</Badge> version{' '}
      {policy.version} “{policy.name}”, {plural(policy.ruleCount, 'rule')}
      {policy.reviewCount > 0 ? `, ${policy.reviewCount} flagged for review` : ''}; {policy.origin} by{' '}
      {policy.createdBy} on {formatDate(policy.createdAt)}
      {policy.approvedBy ? `, approved by ${policy.approvedBy} on ${formatDate(policy.approvedAt)}` : ''}.
    </p>
  );
}

const ZONINGS = [
  { value: 'class', label: 'device class' },
  { value: 'department', label: 'department' },
  { value: 'class+department', label: 'class and department' },
] as const;

export function PolicyTab({ site, siteField }: { site: string; siteField: ReactNode }) {
  const can = useCan();
  const policies = useLoad(() => loadPolicies(site), [site]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [zones, setZones] = useState<(typeof ZONINGS)[number]['value']>('class');

  const act = async (work: () => Promise<string>) => {
    setError(null);
    setMessage('');
    setBusy(true);
    try {
      setMessage(await work());
      policies.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const propose = (e: FormEvent) => {
    e.preventDefault();
    return act(async () => {
      const d = await ok(api().policy.propose.$post({ json: { ...(site ? { site } : {}), zones } }));
      const diff = d.diff as { added?: unknown[]; removed?: unknown[] };
      // Flows no rule was proposed for, said so nobody looks for a rule that was left out on purpose.
      const leftOut = [
        d.refused ? `${d.refused} refused or unanswered` : '',
        d.linkLocal ? `${d.linkLocal} link-local` : '',
        d.mdns ? `${d.mdns} mDNS` : '',
        d.llmnr ? `${d.llmnr} LLMNR` : '',
      ].filter(Boolean);
      return `Draft version ${d.version} proposed from ${plural(d.flows, 'observed flow')}${leftOut.length ? ` (left out: ${leftOut.join(', ')})` : ''}: ${plural(d.ruleCount, 'rule')} (${diff.added?.length ?? 0} added, ${diff.removed?.length ?? 0} removed against the approved policy).`;
    });
  };
  // A draft with rules flagged for review is approved only after a person has seen them listed.
  const [confirming, setConfirming] = useState<Stored | null>(null);
  const approve = (p: Stored, acceptReview = false) =>
    act(async () => {
      setConfirming(null);
      const a = await ok(
        api().policy[':id'].approve.$post({
          param: { id: p.id },
          query: acceptReview ? { acceptReview: 'true' } : {},
        }),
      );
      return `Version ${a.version} approved: it is now the policy${site ? ' of this site' : ''}.`;
    });

  const data = policies.data;
  return (
    <>
      {can('policy:write') ? (
        <form className="toolbar" onSubmit={propose}>
          {siteField}
          <SelectField
            label="Group rule sides by"
            name="zones"
            value={zones}
            options={ZONINGS}
            onChange={(v) => setZones(v as typeof zones)}
          />
          <button type="submit" className="primary" disabled={busy}>
            Propose from observed traffic
          </button>
        </form>
      ) : (
        siteField && <div className="toolbar">{siteField}</div>
      )}
      <ErrorMessage error={error ?? policies.error} />
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {!data ? (
        !policies.error && <Loading what="the policy" />
      ) : (
        <>
          {data.draft && (
            <section className="card" aria-labelledby="draft-policy">
              <h2 id="draft-policy">Draft</h2>
              <PolicySummary policy={data.draft} />
              {can('policy:write') && (
                <p>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      data.draft!.reviewCount > 0 ? setConfirming(data.draft) : approve(data.draft!)
                    }
                  >
                    Approve draft version {data.draft.version}
                  </button>{' '}
                  <span className="muted">It replaces the approved policy; check the simulation first.</span>
                </p>
              )}
              <PolicyMatrix policy={data.draft} />
            </section>
          )}
          <Dialog
            title={`Approve version ${confirming?.version ?? ''} with ${plural(confirming?.reviewCount ?? 0, 'rule')} flagged for review?`}
            open={confirming !== null}
            onClose={() => setConfirming(null)}
          >
            <p>
              The proposal flagged these because a person must decide on them (a scanner, the internet, a
              risky service, an advisory's port). Approving opens them in the firewall export. To leave one
              out, edit the policy (<code>vigil policy show ID --json</code>) and save it as a new draft.
            </p>
            <ul>
              {confirming &&
                rulesOf(confirming)
                  .filter((r) => r.review)
                  .map((r) => (
                    <li key={r.id}>
                      <strong>
                        {r.id} {service(r)}
                      </strong>{' '}
                      {sideWithHosts(r.from)} → {sideWithHosts(r.to)}: {r.reason}
                    </li>
                  ))}
            </ul>
            <p className="toolbar">
              <button
                type="button"
                className="primary"
                onClick={() => confirming && approve(confirming, true)}
              >
                Approve with {plural(confirming?.reviewCount ?? 0, 'flagged rule')}
              </button>
              <button type="button" onClick={() => setConfirming(null)}>
                Cancel
              </button>
            </p>
          </Dialog>
          <section className="card" aria-labelledby="approved-policy">
            <h2 id="approved-policy">Approved policy</h2>
            {data.approved ? (
              <>
                <PolicySummary policy={data.approved} />
                <PolicyMatrix policy={data.approved} />
              </>
            ) : (
              <p className="muted">
                No policy is approved{site ? ' for this site' : ' for every site'} yet
                {can('policy:write') ? ': propose one from the observed traffic and approve it.' : '.'}
              </p>
            )}
          </section>
          {data.versions.length > 0 && (
            <details>
              <summary>All versions ({data.versions.length})</summary>
              <ul>
                {data.versions.map((v) => (
                  <li key={v.id}>
                    version {v.version} “{v.name}”: {v.state}, {plural(v.ruleCount, 'rule')}, by {v.createdBy}{' '}
                    on {formatDate(v.createdAt)}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </>
  );
}

type Decision = SimulateResult['decisions'][number];
type BlockedService = SimulateResult['blockedByDevice'][number];

interface ZoneBlock {
  from: string;
  to: string;
  services: string[];
  flows: number;
  connections: number;
}

/** Blocked flows folded by client zone → server zone. */
function blockedByZone(decisions: readonly Decision[]): ZoneBlock[] {
  const out = new Map<string, ZoneBlock>();
  for (const d of decisions) {
    if (d.decision !== 'blocked') continue;
    const key = `${d.clientZone}\u0000${d.serverZone}`;
    const z = out.get(key) ?? {
      from: d.clientZone,
      to: d.serverZone,
      services: [],
      flows: 0,
      connections: 0,
    };
    const svc = d.transport === 'icmp' ? 'icmp' : `${d.port}/${d.transport}`;
    if (!z.services.includes(svc)) z.services.push(svc);
    z.flows++;
    z.connections += d.connections;
    out.set(key, z);
  }
  return [...out.values()].sort((a, b) => b.flows - a.flows || a.from.localeCompare(b.from));
}

const deviceCell = (label: string, id: string | null, department: string | null) => (
  <>
    {id ? <Link href={`/devices/${encodeURIComponent(id)}`}>{label}</Link> : label}
    {department ? <span className="muted"> ({department})</span> : null}
  </>
);

export function SimulationTab({ site, siteField }: { site: string; siteField: ReactNode }) {
  const policies = useLoad(() => loadPolicies(site), [site]);
  const [which, setWhich] = useState('approved');
  const [result, setResult] = useState<SimulateResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const draft = policies.data?.draft;
  const approved = policies.data?.approved;
  const choices = [
    ...(approved ? [{ value: 'approved', label: `approved policy (version ${approved.version})` }] : []),
    ...(draft ? [{ value: 'draft', label: `draft (version ${draft.version})` }] : []),
  ];
  const chosen = choices.some((c) => c.value === which) ? which : (choices[0]?.value ?? '');
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body = {
        ...(site ? { site } : {}),
        ...(chosen === 'draft' && draft ? { policy: draft.policy } : {}),
      };
      setResult((await ok(api().policy.simulate.$post({ json: body }))) as unknown as SimulateResult);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const zoneColumns: Column<ZoneBlock>[] = [
    { key: 'from', label: 'Client zone', render: (z) => z.from },
    { key: 'to', label: 'Server zone', render: (z) => z.to },
    { key: 'svc', label: 'Services', render: (z) => z.services.join(', ') },
    { key: 'flows', label: 'Flows', render: (z) => z.flows },
    { key: 'conn', label: 'Connections', render: (z) => z.connections },
  ];
  const deviceColumns: Column<BlockedService>[] = [
    {
      key: 'client',
      label: 'Client',
      render: (b) => deviceCell(b.clientLabel, b.clientDeviceId, b.clientDepartment),
    },
    {
      key: 'server',
      label: 'Server',
      render: (b) => deviceCell(b.serverLabel, b.serverDeviceId, b.serverDepartment),
    },
    { key: 'svc', label: 'Service', render: (b) => b.service },
    { key: 'flows', label: 'Flows', render: (b) => b.flows },
    { key: 'conn', label: 'Connections', render: (b) => b.connections },
  ];
  return (
    <>
      <p>
        Replays the stored communications against a policy: what it would block if a firewall enforced it.
        Nothing is sent to any device.
      </p>
      <ErrorMessage error={error ?? policies.error} />
      {!policies.data ? (
        !policies.error && <Loading what="the policies" />
      ) : choices.length === 0 ? (
        <>
          {siteField && <div className="toolbar">{siteField}</div>}
          <p className="muted">No policy to simulate yet: propose one on the Policy tab.</p>
        </>
      ) : (
        <form className="toolbar" onSubmit={run}>
          {siteField}
          <SelectField label="Policy" name="policy" value={chosen} options={choices} onChange={setWhich} />
          <button type="submit" className="primary" disabled={busy}>
            Run simulation
          </button>
        </form>
      )}
      {result && (
        <section aria-labelledby="simulation-result">
          <h2 id="simulation-result">Result</h2>
          <p role="status">
            {plural(result.flows, 'flow')}: {result.allowed} allowed, {result.blocked} blocked.
          </p>
          <h3>Blocked by zone</h3>
          <DataTable
            caption="Blocked flows by client and server zone"
            columns={zoneColumns}
            rows={blockedByZone(result.decisions)}
            rowKey={(z) => `${z.from}->${z.to}`}
            empty="Nothing would be blocked."
          />
          <h3>Blocked by device</h3>
          <DataTable
            caption="Blocked services by client and server device"
            columns={deviceColumns}
            rows={result.blockedByDevice}
            rowKey={(b) => `${b.client}|${b.server}|${b.service}`}
            empty="Nothing would be blocked."
          />
        </section>
      )}
    </>
  );
}

const EXPORTS = [
  { value: 'nftables', label: 'nftables (nft -f)', file: 'vigil-policy.nft' },
  { value: 'iptables', label: 'iptables-restore --noflush', file: 'vigil-policy.iptables' },
  { value: 'ip6tables', label: 'ip6tables-restore --noflush', file: 'vigil-policy.ip6tables' },
  { value: 'cisco-ios', label: 'Cisco IOS access lists', file: 'vigil-policy-cisco-ios.txt' },
  { value: 'json', label: 'vendor-neutral JSON', file: 'vigil-policy.json' },
] as const;

export function ExportTab({ site, siteField }: { site: string; siteField: ReactNode }) {
  const policy = useLoad(() => loadPolicy(site), [site]);
  const [format, setFormat] = useState<(typeof EXPORTS)[number]['value']>('nftables');
  const chosen = EXPORTS.find((x) => x.value === format) ?? EXPORTS[0];
  const url = api().policy.export.$url({ query: { format: chosen.value, ...(site ? { site } : {}) } });
  const approved = policy.data?.approved;
  return (
    <>
      <p>
        The approved policy as firewall rules, addresses resolved from the inventory; load them on the router
        or firewall between segments (docs/policy.md, "Export").
      </p>
      <ErrorMessage error={policy.error} />
      {!policy.data ? (
        !policy.error && <Loading what="the policy" />
      ) : !approved ? (
        <>
          {siteField && <div className="toolbar">{siteField}</div>}
          <p className="muted">No policy is approved yet: approve one on the Policy tab to export it.</p>
        </>
      ) : (
        <>
          <div className="toolbar">
            {siteField}
            <SelectField
              label="Format"
              name="format"
              value={format}
              options={EXPORTS}
              onChange={(v) => setFormat(v as typeof format)}
            />
            <a className="button primary" href={url.pathname + url.search} download={chosen.file}>
              Download {chosen.file}
            </a>
            <span className="muted">
              version {approved.version}, {plural(approved.ruleCount, 'rule')}, approved{' '}
              {formatDate(approved.approvedAt)}
            </span>
          </div>
          {(format === 'iptables' || format === 'ip6tables') && (
            <p className="muted">
              Load it with <code>{format}-restore --noflush</code>: it replaces only Vigil's own chains
              (VIGIL-FORWARD, VIGIL-PREROUTING); without <code>--noflush</code> every chain of the filter
              table would be flushed, management access included. The file's header gives the one-time
              commands that send forwarded traffic through them.
            </p>
          )}
        </>
      )}
    </>
  );
}
