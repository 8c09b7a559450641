/**
 * @module Inventory: the server pages, filters, sorts and searches (GET /devices); the filters live in
 * the URL so a view can be bookmarked, shared or linked from the overview; saved views keep named
 * filter sets on the server (GET/POST/DELETE /saved-views), one's own or shared with the team; CSV
 * export streams every matching device (GET /devices/export).
 */
import { type FormEvent, useEffect, useState } from 'react';
import { CRITICALITIES, DEVICE_CLASSES } from '../../../src/inventory/device.js';
import { labelOfDevice, preferredIp } from '../../../src/inventory/device-name.js';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { SavedViews } from '../components/saved-views.js';
import { Badge, ErrorMessage, formatDate, Loading, Pager, SelectField, TextField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';

type ListPage = Awaited<ReturnType<typeof listPage>>;
/** A listed device, with what fingerprinting suggests for its class or manufacturer when it has none. */
type Device = ListPage['items'][number] & { suggested?: ListPage['suggested'][string] };

/** A suggested value, marked as one: "patient-monitor?" with its confidence on hover. */
function Suggested(props: { s: { value: string; confidence: number } | undefined; fallback: string }) {
  if (!props.s) return <>{props.fallback}</>;
  return (
    <span title={`suggested by fingerprinting, confidence ${props.s.confidence.toFixed(2)}; not a fact yet`}>
      <em>{props.s.value}?</em>
    </span>
  );
}

/** The filters the URL may carry, all passed to the API as they are. */
const FILTERS = [
  'q',
  'site',
  'deviceClass',
  'manufacturer',
  'model',
  'criticality',
  'ephi',
  'vulnerable',
  'osEndOfSupportBefore',
  'seenSince',
  'state',
] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function filtersFrom(query: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTERS) {
    const v = query.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function listPage(filters: Filters, page: number, pageSize: number, sort: string, order: string) {
  return ok(
    api().devices.$get({
      query: { ...filters, page: String(page), pageSize: String(pageSize), sort, order } as never,
    }),
  );
}

/** Where saved views lived before the server kept them; moved to the server on first visit. */
const LEGACY_KEY = 'vigil.inventory.savedViews';
type LegacyView = { name: string; query: string };
function readLegacy(): LegacyView[] {
  try {
    const v = JSON.parse(localStorage.getItem(LEGACY_KEY) ?? '[]') as unknown;
    return Array.isArray(v)
      ? (v as LegacyView[]).filter((s) => typeof s?.name === 'string' && typeof s?.query === 'string')
      : [];
  } catch {
    return [];
  }
}

/** Saves this browser's old local views as the account's own (private) views; keeps any refused. */
async function moveLegacyViews(): Promise<void> {
  const legacy = readLegacy();
  if (legacy.length === 0) return;
  const kept: LegacyView[] = [];
  for (const v of legacy) {
    try {
      await ok(api()['saved-views'].$post({ json: { page: 'inventory', name: v.name, query: v.query } }));
    } catch {
      kept.push(v);
    }
  }
  if (kept.length) localStorage.setItem(LEGACY_KEY, JSON.stringify(kept));
  else localStorage.removeItem(LEGACY_KEY);
}

const COLUMNS: Column<Device>[] = [
  {
    key: 'assetTag',
    label: 'Asset tag',
    sort: 'assetTag',
    render: (d) => (
      <Link href={`/devices/${encodeURIComponent(d.id)}`}>
        {d.assetTag ?? d.serialNumber ?? d.macs[0] ?? labelOfDevice(d)}
      </Link>
    ),
  },
  {
    key: 'manufacturer',
    label: 'Manufacturer',
    sort: 'manufacturer',
    render: (d) => d.manufacturer ?? <Suggested s={d.suggested?.manufacturer} fallback="—" />,
  },
  { key: 'model', label: 'Model', sort: 'model', render: (d) => d.model ?? '—' },
  {
    key: 'class',
    label: 'Class',
    sort: 'deviceClass',
    render: (d) =>
      d.deviceClass === 'unknown' ? (
        <Suggested s={d.suggested?.deviceClass} fallback="unknown" />
      ) : (
        d.deviceClass
      ),
  },
  {
    key: 'criticality',
    label: 'Criticality',
    sort: 'criticality',
    render: (d) => (d.criticality ? <Badge tone={d.criticality}>{d.criticality}</Badge> : '—'),
  },
  { key: 'ephi', label: 'ePHI', render: (d) => (d.ephi === null ? '—' : d.ephi ? 'yes' : 'no') },
  { key: 'site', label: 'Site', sort: 'site', render: (d) => d.site ?? '—' },
  { key: 'department', label: 'Department', sort: 'department', render: (d) => d.department ?? '—' },
  // The address a person uses (IPv4 first, link-local IPv6 last), as in device labels elsewhere.
  { key: 'ip', label: 'IP', render: (d) => preferredIp(d.ips) ?? '—' },
  { key: 'state', label: 'State', sort: 'state', render: (d) => d.state },
  { key: 'lastSeen', label: 'Last seen', sort: 'lastSeen', render: (d) => formatDate(d.lastSeen) },
];

export default function InventoryPage() {
  const { query } = useLocation();
  const can = useCan();
  const filters = filtersFrom(query);
  const page = Number(query.get('page') ?? '1') || 1;
  const pageSize = Number(query.get('pageSize') ?? '50') || 50;
  const sort = query.get('sort') ?? 'assetTag';
  const order = query.get('order') === 'desc' ? 'desc' : 'asc';
  const key = query.toString();
  const result = useLoad(() => listPage(filters, page, pageSize, sort, order), [key]);
  // The site list (with its counts) waits for the first page: the page is what the user is waiting for.
  const loaded = result.data !== undefined || result.error !== undefined;
  const sites = useLoad(
    () => (loaded && can('sites:read') ? ok(api().sites.$get()) : Promise.resolve(undefined)),
    [loaded],
  );

  // The form edits a draft; applying it puts it in the URL (one request per search, not per keystroke).
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filtersFrom(new URLSearchParams(key))), [key]);
  const set = (k: keyof Filters) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const go = (next: Record<string, string | number | undefined>) =>
    navigate(href('/inventory', { ...filters, sort, order, pageSize, page, ...next }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('/inventory', { ...draft, sort, order, pageSize, page: 1 }));
  };

  const exportUrl = api().devices.export.$url({ query: { ...filters, sort, order, format: 'csv' } as never });

  return (
    <>
      <h1>Inventory</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter devices">
        <TextField
          label="Search"
          name="q"
          value={draft.q ?? ''}
          onChange={set('q')}
          placeholder="asset tag, serial, MAC, IP, host"
        />
        <SelectField
          label="Site"
          name="site"
          value={draft.site ?? ''}
          onChange={set('site')}
          empty="any"
          options={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
        />
        <SelectField
          label="Class"
          name="deviceClass"
          value={draft.deviceClass ?? ''}
          onChange={set('deviceClass')}
          empty="any"
          options={DEVICE_CLASSES}
        />
        <TextField
          label="Manufacturer"
          name="manufacturer"
          value={draft.manufacturer ?? ''}
          onChange={set('manufacturer')}
        />
        <TextField label="Model" name="model" value={draft.model ?? ''} onChange={set('model')} />
        <SelectField
          label="Criticality"
          name="criticality"
          value={draft.criticality ?? ''}
          onChange={set('criticality')}
          empty="any"
          options={[...CRITICALITIES, { value: 'none', label: 'not set' }]}
        />
        <SelectField
          label="ePHI"
          name="ephi"
          value={draft.ephi ?? ''}
          onChange={set('ephi')}
          empty="any"
          options={['yes', 'no']}
        />
        <SelectField
          label="Vulnerable"
          name="vulnerable"
          value={draft.vulnerable ?? ''}
          onChange={set('vulnerable')}
          empty="any"
          options={['yes', 'no']}
        />
        <TextField
          label="OS support ended by"
          name="osEndOfSupportBefore"
          type="date"
          value={draft.osEndOfSupportBefore ?? ''}
          onChange={set('osEndOfSupportBefore')}
        />
        <TextField
          label="Seen since"
          name="seenSince"
          type="date"
          value={draft.seenSince ?? ''}
          onChange={set('seenSince')}
        />
        <SelectField
          label="State"
          name="state"
          value={draft.state ?? ''}
          onChange={set('state')}
          empty="all but merged"
          options={['active', 'staged', 'retired', 'ignored', 'merged']}
        />
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => navigate('/inventory')}>
            Clear
          </button>
          <a className="button" href={exportUrl.pathname + exportUrl.search} download>
            Export CSV
          </a>
        </div>
      </form>

      <SavedViews
        page="inventory"
        path="/inventory"
        query={href('', { ...filters, sort, order })}
        before={moveLegacyViews}
      />

      <ErrorMessage error={result.error} />
      {result.data ? (
        <>
          <DataTable
            caption="Devices"
            columns={COLUMNS}
            rows={result.data.items.map((d) => ({ ...d, suggested: result.data?.suggested[d.id] }))}
            rowKey={(d) => d.id}
            sort={sort}
            order={order}
            onSort={(s, o) => go({ sort: s, order: o, page: 1 })}
            empty="No device matches these filters."
          />
          <Pager page={page} pageSize={pageSize} total={result.data.total} onPage={(p) => go({ page: p })} />
        </>
      ) : (
        !result.error && <Loading what="devices" />
      )}
    </>
  );
}
