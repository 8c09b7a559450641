/**
 * @module Alerts (`/alerts`, GET /alerts): most recently seen first, filtered by state and severity, with
 * their evidence; acknowledge, resolve, dismiss as false positive or re-open (POST /alerts/{id}/state,
 * alerts:write). Evidence summaries name the packets, never patient values (the API carries none). Saved
 * views keep the state and severity filters by name (GET/POST/DELETE /saved-views). The Delivery sub-page
 * (`/alerts/delivery`, alerts-delivery.tsx) shows where alerts and task events go and what did not arrive.
 */
import { useState } from 'react';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { SavedViews } from '../components/saved-views.js';
import { SubTabs } from '../components/sub-tabs.js';
import { Badge, ErrorMessage, formatDate, Loading, Pager, SelectField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';
import { DeliveryTab } from './alerts-delivery.js';

type Alert = Awaited<ReturnType<typeof loadAlerts>>['items'][number];
const STATES = [
  'new',
  'acknowledged',
  'resolved',
  'false-positive',
] as const satisfies readonly Alert['state'][];
const SEVERITIES = [
  'critical',
  'high',
  'medium',
  'low',
  'info',
] as const satisfies readonly Alert['severity'][];
const PAGE = 50;
const ACTIONS: { to: Alert['state']; label: string; from: readonly Alert['state'][] }[] = [
  { to: 'acknowledged', label: 'Acknowledge', from: ['new'] },
  { to: 'resolved', label: 'Resolve', from: ['new', 'acknowledged'] },
  { to: 'false-positive', label: 'False positive', from: ['new', 'acknowledged'] },
  { to: 'new', label: 'Re-open', from: ['acknowledged', 'resolved', 'false-positive'] },
];

function loadAlerts(state: string, severity: string, page: number) {
  return ok(
    api().alerts.$get({
      query: {
        ...(state ? { state } : {}),
        ...(severity ? { severity } : {}),
        limit: String(PAGE),
        offset: String((page - 1) * PAGE),
      } as never,
    }),
  );
}

export default function AlertsPage() {
  const { path } = useLocation();
  const tabs = [
    { href: '/alerts', label: 'Alerts' },
    { href: '/alerts/delivery', label: 'Delivery' },
  ];
  return (
    <>
      <h1>Alerts</h1>
      <SubTabs label="Alerts" tabs={tabs.map((t) => ({ ...t, current: t.href === path }))} />
      {path === '/alerts' ? (
        <AlertList />
      ) : path === '/alerts/delivery' ? (
        <DeliveryTab />
      ) : (
        <p>There is no alerts page at {path}.</p>
      )}
    </>
  );
}

function AlertList() {
  const { query } = useLocation();
  const can = useCan();
  const state = query.get('state') ?? '';
  const severity = query.get('severity') ?? '';
  const page = Number(query.get('page') ?? '1') || 1;
  const alerts = useLoad(() => loadAlerts(state, severity, page), [state, severity, page]);
  const [error, setError] = useState<unknown>(null);
  const go = (next: Record<string, string | number | undefined>) =>
    navigate(href('/alerts', { state, severity, page, ...next }));
  const change = async (a: Alert, to: Alert['state']) => {
    setError(null);
    try {
      await ok(api().alerts[':id'].state.$post({ param: { id: a.id }, json: { state: to } }));
      alerts.reload();
    } catch (e) {
      setError(e);
    }
  };
  const columns: Column<Alert>[] = [
    { key: 'sev', label: 'Severity', render: (a) => <Badge tone={a.severity}>{a.severity}</Badge> },
    { key: 'title', label: 'Alert', render: (a) => a.title },
    { key: 'rule', label: 'Rule', render: (a) => a.rule },
    {
      key: 'device',
      label: 'Device',
      // The device's label (asset tag, else make and model with its address), not its id; an alert about
      // no device (a sensor, a site) shows its subject.
      render: (a) =>
        a.deviceId ? (
          <Link href={`/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceLabel ?? a.deviceId}</Link>
        ) : (
          a.subject
        ),
    },
    { key: 'state', label: 'State', render: (a) => a.state },
    { key: 'count', label: 'Count', render: (a) => a.count },
    { key: 'last', label: 'Last seen', render: (a) => formatDate(a.lastSeen) },
    {
      key: 'ev',
      label: 'Evidence',
      render: (a) => {
        const e = a.evidence[0];
        return e ? `${e.summary}${e.file ? ` (${e.file})` : ''}` : '—';
      },
    },
  ];
  if (can('alerts:write'))
    columns.push({
      key: 'act',
      label: 'Actions',
      render: (a) => (
        <span className="toolbar">
          {ACTIONS.filter((x) => x.from.includes(a.state)).map((x) => (
            <button
              key={x.to}
              type="button"
              onClick={() => change(a, x.to)}
              aria-label={`${x.label}: ${a.title} on ${a.deviceLabel ?? a.subject}`}
            >
              {x.label}
            </button>
          ))}
        </span>
      ),
    });
  return (
    <>
      <div className="toolbar">
        <SelectField
          label="State"
          name="state"
          value={state}
          empty="any"
          options={STATES}
          onChange={(v) => go({ state: v, page: 1 })}
        />
        <SelectField
          label="Severity"
          name="severity"
          value={severity}
          empty="any"
          options={SEVERITIES}
          onChange={(v) => go({ severity: v, page: 1 })}
        />
      </div>
      <SavedViews page="alerts" path="/alerts" query={href('', { state, severity })} />
      <ErrorMessage error={error ?? alerts.error} />
      {alerts.data ? (
        <>
          <DataTable
            caption="Alerts"
            columns={columns}
            rows={alerts.data.items}
            rowKey={(a) => a.id}
            empty="No alerts."
          />
          <Pager page={page} pageSize={PAGE} total={alerts.data.total} onPage={(p) => go({ page: p })} />
        </>
      ) : (
        <Loading what="alerts" />
      )}
    </>
  );
}
