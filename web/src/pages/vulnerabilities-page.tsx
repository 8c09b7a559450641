/**
 * @module Vulnerabilities and advisories: the imported advisories (GET /advisories) and every affected
 * or needs-review match per device (GET /vulns); one advisory or CVE with its fleet impact by model,
 * version and site and whether a fix exists (GET /vulns/{id}).
 */
import { useId, useState } from 'react';
import type { AdvisoryView, VulnerabilityView } from '../../../src/matching/vulns-service.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading } from '../components/ui.js';
import { Link, useLoad } from '../router.js';
import { useCan } from '../session.js';

/** Matches per page of the "by device" table. */
const MATCH_PAGE = 200;

/** "matches 201–400" for page `page` (1-based) holding `n` rows. */
const matchRange = (page: number, n: number) =>
  n === 0
    ? 'no matches'
    : `matches ${((page - 1) * MATCH_PAGE + 1).toLocaleString('en')}–${((page - 1) * MATCH_PAGE + n).toLocaleString('en')}`;

const vulnHref = (id: string) => `/vulnerabilities/${encodeURIComponent(id)}`;

function Fleet({ view }: { view: VulnerabilityView }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>
        {view.cve ?? view.vulnerability} {view.title && <span className="muted">{view.title}</span>}
      </h2>
      <p>
        {view.cvss
          ? `CVSS ${view.cvss.version ?? ''} ${view.cvss.score} (${view.cvss.severity ?? '—'})`
          : 'No CVSS score'}
        {view.kev ? (
          <>
            {' '}
            <Badge tone="critical">known exploited (KEV)</Badge>
          </>
        ) : null}
      </p>
      {view.description && <p>{view.description}</p>}
      <DataTable
        caption={`Fleet impact of ${view.cve ?? view.vulnerability}`}
        rows={view.fleet}
        rowKey={(r) => `${r.manufacturer}-${r.model}-${r.version}-${r.site}-${r.status}`}
        empty="No device in the inventory matches."
        columns={[
          { key: 'm', label: 'Manufacturer', render: (r) => r.manufacturer ?? '—' },
          { key: 'model', label: 'Model', render: (r) => r.model ?? '—' },
          { key: 'v', label: 'Version', render: (r) => r.version ?? '—' },
          { key: 'site', label: 'Site', render: (r) => r.site ?? '—' },
          { key: 'status', label: 'Status', render: (r) => <Badge tone={r.status}>{r.status}</Badge> },
          { key: 'n', label: 'Devices', render: (r) => r.devices },
          { key: 'fix', label: 'Fix', render: (r) => (r.fixAvailable ? 'available' : 'none known') },
        ]}
      />
    </section>
  );
}

/** One advisory (ICSMA-…) or vulnerability (CVE-…) with its fleet view. */
export function VulnerabilityDetail({ id }: { id: string }) {
  const view = useLoad(() => ok(api().vulns[':vulnerability'].$get({ param: { vulnerability: id } })), [id]);
  if (view.error) return <ErrorMessage error={view.error} />;
  if (!view.data) return <Loading what={id} />;
  const back = (
    <p>
      <Link href="/vulnerabilities">← Vulnerabilities</Link>
    </p>
  );
  if (view.data.kind === 'vulnerability')
    return (
      <>
        {back}
        <h1>{id}</h1>
        <Fleet view={view.data.view as unknown as VulnerabilityView} />
      </>
    );
  const a = view.data.view as unknown as AdvisoryView;
  return (
    <>
      {back}
      <h1>
        {a.advisoryId} <span className="muted">{a.title}</span>
      </h1>
      <p>
        {a.publisher}, version {a.version} of {formatDate(a.currentRelease)} ({a.status})
      </p>
      {a.vulnerabilities.map((v) => (
        <Fleet key={v.vulnerability} view={v} />
      ))}
      {a.references.length > 0 && (
        <ul>
          {a.references.map((r) => (
            <li key={r.url}>
              {r.summary}: {r.url}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export default function VulnerabilitiesPage({ id }: { id?: string }) {
  const can = useCan();
  const advisories = useLoad(
    () => (can('advisories:read') ? ok(api().advisories.$get()) : Promise.resolve(null)),
    [],
  );
  // The matches a page at a time (the API pages by cursor): a hospital has thousands.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const after = cursors.at(-1);
  const matches = useLoad(
    () =>
      id
        ? Promise.resolve(null)
        : ok(
            api().vulns.$get({
              query: {
                status: 'affected,needs-review',
                limit: String(MATCH_PAGE),
                ...(after ? { after } : {}),
              } as never,
            }),
          ),
    [id, after],
  );
  if (id) return <VulnerabilityDetail id={id} />;
  return (
    <>
      <h1>Vulnerabilities</h1>
      {can('advisories:write') && (
        <p>
          <Link href="/import">Import advisories</Link>
        </p>
      )}
      <ErrorMessage error={advisories.error ?? matches.error} />
      {advisories.data && (
        <>
          <h2>Advisories</h2>
          <DataTable
            caption="Imported advisories"
            rows={advisories.data.items}
            rowKey={(a) => a.advisoryId}
            empty="No advisories imported yet (vigil advisories import)."
            columns={[
              {
                key: 'id',
                label: 'Advisory',
                render: (a) => <Link href={vulnHref(a.advisoryId)}>{a.advisoryId}</Link>,
              },
              { key: 'title', label: 'Title', render: (a) => a.title },
              { key: 'pub', label: 'Publisher', render: (a) => a.publisher },
              { key: 'v', label: 'Version', render: (a) => a.version },
              { key: 'rel', label: 'Current release', render: (a) => formatDate(a.currentRelease) },
            ]}
          />
        </>
      )}
      <h2>Affected and to review, by device</h2>
      {matches.data ? (
        <>
          <DataTable
            caption="Vulnerability matches"
            rows={matches.data.items}
            rowKey={(m) => m.id}
            empty="No device is affected."
            columns={[
              {
                key: 'device',
                label: 'Device',
                render: (m) => (
                  <Link href={`/devices/${encodeURIComponent(m.deviceId)}`}>{m.deviceLabel}</Link>
                ),
              },
              {
                key: 'v',
                label: 'Vulnerability',
                render: (m) => <Link href={vulnHref(m.vulnerability)}>{m.cve ?? m.vulnerability}</Link>,
              },
              { key: 'adv', label: 'Advisories', render: (m) => m.advisoryIds.join(', ') || '—' },
              { key: 'status', label: 'Status', render: (m) => <Badge tone={m.status}>{m.status}</Badge> },
              { key: 'conf', label: 'Confidence', render: (m) => `${Math.round(m.confidence * 100)} %` },
              { key: 'fix', label: 'Fix', render: (m) => (m.fixAvailable ? 'available' : 'none known') },
              { key: 'why', label: 'Why', render: (m) => m.explanation },
            ]}
          />
          <nav className="pager" aria-label="Pages of matches">
            <button
              type="button"
              disabled={cursors.length <= 1}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous
            </button>
            <span aria-live="polite">{matchRange(cursors.length, matches.data.items.length)}</span>
            <button
              type="button"
              disabled={!matches.data.nextCursor}
              onClick={() => setCursors((c) => [...c, matches.data?.nextCursor ?? undefined])}
            >
              Next
            </button>
          </nav>
        </>
      ) : (
        !matches.error && <Loading what="matches" />
      )}
    </>
  );
}
