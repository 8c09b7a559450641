/**
 * @module Manufacturers (GET /manufacturers/coverage, /manufacturers?withDevices=true): per manufacturer
 * in use, its feed, PSIRT contact, models without MDS2 or SBOM and its requests; one manufacturer's
 * detail (`?manufacturer=ID`, GET /manufacturers/{id}: contacts, feeds, models with end-of-support
 * dates and documents); the documents on file with their warnings (GET /documents); and the open
 * requests to manufacturers, overdue first or only (GET /manufacturer-requests).
 */
import type { ManufacturerCoverage } from '../../../src/program/manufacturers/coverage.js';
import type {
  DocumentList,
  DocumentWarning,
  Manufacturer,
  ManufacturerDetail,
} from '../../../src/program/manufacturers/manufacturers-service.js';
import type { ManufacturerRequest } from '../../../src/program/manufacturers/requests-service.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';

// These routes answer the documented JSON contracts (docs/manufacturers.md) typed as plain objects in
// the OpenAPI schema; the domain's own interfaces name their fields here.
const loadCoverage = async () =>
  (await ok(api().manufacturers.coverage.$get())).items as unknown as ManufacturerCoverage[];
const loadList = async () =>
  (await ok(api().manufacturers.$get({ query: { withDevices: 'true' } }))).items as unknown as Manufacturer[];
const loadDetail = async (id: string) =>
  (await ok(api().manufacturers[':id'].$get({ param: { id }, query: {} }))) as unknown as ManufacturerDetail;
const loadDocuments = async (manufacturer: string) =>
  (await ok(
    api().documents.$get({ query: manufacturer ? { manufacturer } : {} }),
  )) as unknown as DocumentList;
const loadRequests = async (overdue: boolean) =>
  (
    await ok(
      api()['manufacturer-requests'].$get({
        query: (overdue ? { overdue: 'true' } : { status: 'open' }) as never,
      }),
    )
  ).items as unknown as ManufacturerRequest[];

const PATH = '/program/manufacturers';

function Warnings({ items }: { items: DocumentWarning[] }) {
  if (items.length === 0) return null;
  return (
    <ul className="warnings">
      {items.map((w) => (
        <li key={`${w.code}-${w.modelId}-${w.documentId}`}>
          <Badge tone="warning">{w.code}</Badge> {w.message}
        </li>
      ))}
    </ul>
  );
}

function Detail({ id }: { id: string }) {
  const m = useLoad(() => loadDetail(id), [id]);
  if (m.error) return <ErrorMessage error={m.error} />;
  if (!m.data) return <Loading what="the manufacturer" />;
  const d = m.data;
  return (
    <section className="card" aria-labelledby="manufacturer-detail">
      <h3 id="manufacturer-detail">{d.name}</h3>
      <p>
        <Link href={PATH}>All manufacturers</Link>
      </p>
      <dl className="facts">
        <div>
          <dt>PSIRT email</dt>
          <dd>{d.psirt.email ?? '—'}</dd>
        </div>
        <div>
          <dt>PSIRT web page</dt>
          <dd>{d.psirt.url ?? '—'}</dd>
        </div>
        <div>
          <dt>PSIRT phone</dt>
          <dd>{d.psirt.phone ?? '—'}</dd>
        </div>
        <div>
          <dt>Account contact</dt>
          <dd>{[d.account.name, d.account.email, d.account.phone].filter(Boolean).join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>Support portal</dt>
          <dd>{d.supportPortal ?? '—'}</dd>
        </div>
        <div>
          <dt>Notes</dt>
          <dd>{d.notes ?? '—'}</dd>
        </div>
      </dl>
      <h4>Advisory feeds</h4>
      <DataTable
        caption={`Advisory feeds of ${d.name}`}
        rows={d.feeds}
        rowKey={(f) => f.feedSourceId}
        empty="No feed follows this manufacturer."
        columns={[
          { key: 'name', label: 'Feed', render: (f) => f.name },
          { key: 'kind', label: 'Kind', render: (f) => f.kind },
          { key: 'enabled', label: 'Enabled', render: (f) => (f.enabled ? 'yes' : 'no') },
          { key: 'ok', label: 'Last success', render: (f) => formatDate(f.lastSuccessAt) },
          {
            key: 'err',
            label: 'Last error',
            render: (f) => (f.lastError ? <Badge tone="not-met">{f.lastError}</Badge> : '—'),
          },
          { key: 'link', label: 'Linked', render: (f) => f.link },
        ]}
      />
      <h4>Models, support dates and documents</h4>
      <DataTable
        caption={`Models of ${d.name}`}
        rows={d.models}
        rowKey={(x) => x.id}
        empty="No models."
        columns={[
          { key: 'name', label: 'Model', render: (x) => x.name },
          { key: 'number', label: 'Model number', render: (x) => x.modelNumber ?? '—' },
          { key: 'devices', label: 'Active devices', render: (x) => x.activeDevices },
          { key: 'eos', label: 'End of sale', render: (x) => x.endOfSale ?? '—' },
          {
            key: 'eosupport',
            label: 'End of support',
            render: (x) =>
              x.endOfSupport && x.endOfSupport < new Date().toISOString().slice(0, 10) ? (
                <Badge tone="not-met">{x.endOfSupport}</Badge>
              ) : (
                (x.endOfSupport ?? '—')
              ),
          },
          { key: 'eol', label: 'End of life', render: (x) => x.endOfLife ?? '—' },
          {
            key: 'docs',
            label: 'Documents',
            render: (x) => x.documents.map((doc) => `${doc.kind}: ${doc.title}`).join('; ') || '—',
          },
          {
            key: 'warn',
            label: 'Warnings',
            render: (x) =>
              x.warnings.length
                ? x.warnings.map((w) => (
                    <Badge key={`${w.code}-${w.documentId}`} tone="warning">
                      {w.code}
                    </Badge>
                  ))
                : '—',
          },
          {
            key: 'asked',
            label: 'Last requested',
            render: (x) =>
              Object.entries(x.lastRequested)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || '—',
          },
        ]}
      />
    </section>
  );
}

export function ManufacturersTab() {
  const { query } = useLocation();
  const selected = query.get('manufacturer') ?? '';
  const overdueOnly = query.get('overdue') === 'true';
  const coverage = useLoad(loadCoverage, []);
  const list = useLoad(loadList, []);
  const documents = useLoad(() => loadDocuments(selected), [selected]);
  const requests = useLoad(() => loadRequests(overdueOnly), [overdueOnly]);
  const byId = new Map((list.data ?? []).map((m) => [m.id, m]));
  const go = (next: Record<string, string | undefined>) =>
    navigate(
      href(PATH, {
        manufacturer: selected || undefined,
        overdue: overdueOnly ? 'true' : undefined,
        ...next,
      }),
    );
  return (
    <>
      <h2>Manufacturers</h2>
      <ErrorMessage error={coverage.error ?? list.error} />
      {selected && <Detail id={selected} />}
      {coverage.data ? (
        <DataTable
          caption="Manufacturers in use with their coverage"
          rows={coverage.data}
          rowKey={(c) => c.manufacturerId}
          empty="No manufacturer has active devices or a feed subscription."
          rowClass={(c) => (c.overdueRequests > 0 ? 'overdue' : undefined)}
          columns={[
            {
              key: 'name',
              label: 'Manufacturer',
              render: (c) => (
                <Link
                  href={href(PATH, { manufacturer: c.manufacturerId })}
                  aria-current={c.manufacturerId === selected ? 'true' : undefined}
                >
                  {c.name}
                </Link>
              ),
            },
            { key: 'devices', label: 'Active devices', render: (c) => c.activeDevices },
            { key: 'models', label: 'Models', render: (c) => byId.get(c.manufacturerId)?.modelCount ?? '—' },
            {
              key: 'feed',
              label: 'Advisory feed',
              render: (c) =>
                !c.subscribed ? (
                  <Badge tone="partial">not followed</Badge>
                ) : c.lastSyncError ? (
                  <Badge tone="not-met">failing: {c.lastSyncError}</Badge>
                ) : (
                  `synced ${formatDate(c.lastSyncAt)}`
                ),
            },
            {
              key: 'psirt',
              label: 'PSIRT contact',
              render: (c) => {
                const p = byId.get(c.manufacturerId)?.psirt;
                return c.psirtContact ? (
                  (p?.email ?? p?.url ?? p?.phone ?? 'yes')
                ) : (
                  <Badge tone="partial">none</Badge>
                );
              },
            },
            { key: 'mds2', label: 'Models without MDS2', render: (c) => c.modelsWithoutMds2 },
            { key: 'sbom', label: 'Models without SBOM', render: (c) => c.modelsWithoutSbom },
            {
              key: 'req',
              label: 'Open requests',
              render: (c) =>
                c.overdueRequests > 0 ? (
                  <>
                    {c.openRequests} <Badge tone="overdue">{c.overdueRequests} overdue</Badge>
                  </>
                ) : (
                  c.openRequests
                ),
            },
          ]}
        />
      ) : (
        <Loading what="manufacturers" />
      )}

      <h3>Documents on file{selected && byId.get(selected) ? ` (${byId.get(selected)!.name})` : ''}</h3>
      <ErrorMessage error={documents.error} />
      {documents.data ? (
        <>
          <Warnings items={documents.data.warnings} />
          <DataTable
            caption="Documents on file"
            rows={documents.data.documents}
            rowKey={(d) => d.id}
            empty="No documents on file."
            columns={[
              { key: 'maker', label: 'Manufacturer', render: (d) => d.manufacturer },
              { key: 'model', label: 'Model', render: (d) => d.model },
              { key: 'kind', label: 'Kind', render: (d) => d.kind },
              { key: 'title', label: 'Title', render: (d) => d.title },
              { key: 'date', label: 'Document date', render: (d) => d.documentDate ?? '—' },
              { key: 'received', label: 'Received', render: (d) => d.receivedDate ?? '—' },
              {
                key: 'file',
                label: 'File',
                render: (d) =>
                  d.fileName ? (
                    <span title={d.sha256 ?? undefined}>
                      {d.fileName}
                      {d.sha256 ? ` (SHA-256 ${d.sha256.slice(0, 12)}…)` : ''}
                    </span>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        </>
      ) : (
        <Loading what="documents" />
      )}

      <h3>Requests to manufacturers</h3>
      <fieldset className="toolbar">
        <legend className="visually-hidden">Requests shown</legend>
        <button type="button" aria-pressed={!overdueOnly} onClick={() => go({ overdue: undefined })}>
          Open
        </button>
        <button type="button" aria-pressed={overdueOnly} onClick={() => go({ overdue: 'true' })}>
          Only overdue
        </button>
      </fieldset>
      <ErrorMessage error={requests.error} />
      {requests.data ? (
        <DataTable
          caption={overdueOnly ? 'Overdue requests to manufacturers' : 'Open requests to manufacturers'}
          rows={requests.data}
          rowKey={(r) => r.id}
          rowClass={(r) => (r.overdue ? 'overdue' : undefined)}
          empty={overdueOnly ? 'No request is overdue.' : 'No open request.'}
          columns={[
            { key: 'maker', label: 'Manufacturer', render: (r) => r.manufacturer },
            { key: 'kind', label: 'Kind', render: (r) => r.kind },
            { key: 'subject', label: 'Subject', render: (r) => r.subject },
            { key: 'models', label: 'Models', render: (r) => r.models.map((x) => x.name).join(', ') || '—' },
            { key: 'asked', label: 'Requested', render: (r) => r.requestedDate },
            {
              key: 'due',
              label: 'Due',
              render: (r) =>
                r.overdue ? <Badge tone="overdue">overdue since {r.dueDate}</Badge> : (r.dueDate ?? '—'),
            },
            { key: 'status', label: 'Status', render: (r) => r.status },
          ]}
        />
      ) : (
        <Loading what="requests" />
      )}
    </>
  );
}
