/**
 * @module Overview: devices by class and criticality, ePHI, vulnerable and OS-out-of-support devices,
 * the queue by decision and overdue, overdue tasks and alerts, each number a link to the filtered list;
 * alerts per day as a chart.
 */
import { useId } from 'react';
import { CRITICALITIES, DEVICE_CLASSES } from '../../../src/inventory/device.js';
import { api, ok } from '../api.js';
import { DayChart } from '../components/day-chart.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { href, Link, useLoad } from '../router.js';
import { useCan } from '../session.js';

/** One request for every device number (GET /devices/summary counts the way the list filters). */
async function loadDevices() {
  const s = await ok(api().devices.summary.$get({ query: {} }));
  const rows = (keys: readonly string[], counts: Record<string, number>) =>
    keys.map((key) => ({ key, count: counts[key] ?? 0 }));
  return {
    ...s,
    today: new Date().toISOString().slice(0, 10),
    byClass: rows(DEVICE_CLASSES, s.byClass)
      .filter((c) => c.count > 0)
      .sort((a, b) => b.count - a.count),
    // Devices whose criticality nobody has set yet (discovered ones, until triaged) count too.
    byCriticality: [
      ...rows(CRITICALITIES, s.byCriticality),
      { key: 'not set', count: s.total - Object.values(s.byCriticality).reduce((a, b) => a + b, 0) },
    ],
  };
}

/** The queue's decisions, most urgent first: one tile each, linking to the queue filtered by it. */
const QUEUE_DECISIONS = ['immediate', 'out-of-cycle', 'scheduled', 'defer'] as const;

async function loadQueue() {
  const groups = (await ok(api().queue.groups.$get({ query: {} }))).items;
  const byDecision: Record<string, number> = { immediate: 0, 'out-of-cycle': 0, scheduled: 0, defer: 0 };
  let overdue = 0;
  // A group's decision is only its most urgent item's: count each item under its own decision.
  for (const g of groups) {
    for (const [decision, n] of Object.entries(g.byDecision))
      byDecision[decision] = (byDecision[decision] ?? 0) + n;
    overdue += g.overdue;
  }
  return { byDecision, overdue };
}

const DAYS = 30;
async function loadAlerts() {
  const since = new Date(Date.now() - DAYS * 86_400_000).toISOString();
  const [open, recent] = await Promise.all([
    ok(api().alerts.$get({ query: { state: 'new', limit: '1' } as never })).then((r) => r.total),
    ok(api().alerts.$get({ query: { since, limit: '1000' } as never })),
  ]);
  const days: string[] = [];
  for (let i = DAYS - 1; i >= 0; i--)
    days.push(new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10));
  const counts = days.map(() => 0);
  for (const a of recent.items) {
    const i = days.indexOf(a.firstSeen.slice(0, 10));
    if (i >= 0) counts[i]! += 1;
  }
  return { open, days, counts };
}

/** A count (or a figure such as "93 %") that links to the list behind it. */
function Tile(props: { label: string; value: number | string | undefined; to: string }) {
  const shown =
    props.value === undefined
      ? '…'
      : typeof props.value === 'string'
        ? props.value
        : props.value.toLocaleString('en');
  return (
    <div className="tile">
      <Link href={props.to} aria-label={`${shown} ${props.label}`}>
        {shown}
      </Link>
      <span>{props.label}</span>
    </div>
  );
}

function Bars(props: { title: string; rows: { key: string; count: number }[]; to: (key: string) => string }) {
  const id = useId();
  const max = Math.max(1, ...props.rows.map((r) => r.count));
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      <ul className="bars">
        {props.rows.map((r) => (
          <li key={r.key}>
            <Link href={props.to(r.key)}>{r.key}</Link>
            <span className="bar" style={{ width: `${(r.count / max) * 100}%` }} aria-hidden="true" />
            <span>{r.count.toLocaleString('en')}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function OverviewPage() {
  const can = useCan();
  const devices = useLoad(() => (can('devices:read') ? loadDevices() : Promise.resolve(null)), []);
  const queue = useLoad(() => (can('risk:read') ? loadQueue() : Promise.resolve(null)), []);
  const tasks = useLoad(
    () =>
      can('tasks:read')
        ? // The API's largest page: more overdue tasks than that show as "10,000+", not as the page size.
          ok(api().tasks.$get({ query: { overdue: 'true', limit: '10000' } as never })).then((r) =>
            r.items.length >= 10_000 ? '10,000+' : r.items.length,
          )
        : Promise.resolve(null),
    [],
  );
  const alerts = useLoad(() => (can('alerts:read') ? loadAlerts() : Promise.resolve(null)), []);
  const training = useLoad(
    () => (can('program:read') ? ok(api().training.compliance.$get({ query: {} })) : Promise.resolve(null)),
    [],
  );
  return (
    <>
      <h1>Overview</h1>
      <ErrorMessage error={devices.error ?? queue.error ?? tasks.error ?? alerts.error ?? training.error} />
      <div className="tiles">
        <Tile label="devices" value={devices.data?.total} to="/inventory" />
        <Tile label="devices with ePHI" value={devices.data?.ephi} to={href('/inventory', { ephi: 'yes' })} />
        <Tile
          label="vulnerable devices"
          value={devices.data?.vulnerable}
          to={href('/inventory', { vulnerable: 'yes' })}
        />
        <Tile
          label="OS out of support"
          value={devices.data?.osEndOfSupportPassed}
          to={href('/inventory', { osEndOfSupportBefore: devices.data?.today })}
        />
        {queue.data !== null && (
          <>
            {QUEUE_DECISIONS.map((decision) => (
              <Tile
                key={decision}
                label={decision}
                value={queue.data?.byDecision[decision]}
                to={href('/queue', { decision })}
              />
            ))}
            <Tile
              label="overdue updates"
              value={queue.data?.overdue}
              to={href('/queue', { overdue: 'true' })}
            />
          </>
        )}
        {tasks.data !== null && (
          <Tile label="overdue tasks" value={tasks.data} to={href('/tasks', { overdue: 'true' })} />
        )}
        {alerts.data !== null && (
          <Tile label="new alerts" value={alerts.data?.open} to={href('/alerts', { state: 'new' })} />
        )}
        {training.data !== null && (
          <>
            <Tile
              label={
                training.data?.overall.required === 0
                  ? 'training compliance (no training assigned)'
                  : `training compliance (target ${training.data ? Math.round(training.data.target * 100) : '…'} %)`
              }
              value={
                !training.data
                  ? undefined
                  : training.data.overall.required === 0
                    ? '–'
                    : `${Math.floor(training.data.overall.rate * 100)} %`
              }
              to="/program/training"
            />
            <Tile label="training overdue" value={training.data?.overall.overdue} to="/program/training" />
          </>
        )}
      </div>
      {devices.data ? (
        <div className="grid2">
          <Bars
            title="Devices by class"
            rows={devices.data.byClass}
            to={(k) => href('/inventory', { deviceClass: k })}
          />
          <Bars
            title="Devices by criticality"
            rows={devices.data.byCriticality}
            to={(k) => href('/inventory', { criticality: k === 'not set' ? 'none' : k })}
          />
        </div>
      ) : (
        devices.loading && <Loading what="device counts" />
      )}
      {alerts.data && (
        <section className="card" aria-label="Alerts per day">
          <h2>Alerts raised per day (last {DAYS} days)</h2>
          <DayChart label="Alerts raised per day" days={alerts.data.days} counts={alerts.data.counts} />
        </section>
      )}
    </>
  );
}
