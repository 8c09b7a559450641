/**
 * @module The sensors tab (`/network/sensors`): the health of every remote sensor that reports to this
 * centre (GET /sensors, docs/scaleout.md): when it was last heard from, its lag, capture drops and local
 * spool, with silent sensors (which also raise an alert) first. Sensors are named by their NATS site,
 * which need not be one of Vigil's sites, so the page lists them all.
 */
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading } from '../components/ui.js';
import { useLoad } from '../router.js';

type Sensor = Awaited<ReturnType<typeof loadSensors>>[number];

const loadSensors = () => ok(api().sensors.$get({ query: {} }));

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

const COLUMNS: Column<Sensor>[] = [
  { key: 'id', label: 'Sensor', render: (s) => s.id },
  {
    key: 'state',
    label: 'State',
    render: (s) => (s.silent ? <Badge tone="critical">silent</Badge> : <Badge tone="ok">reporting</Badge>),
  },
  { key: 'lastSeen', label: 'Last heard', render: (s) => formatDate(s.lastSeen) },
  { key: 'lag', label: 'Lag', render: (s) => `${s.lagSeconds.toFixed(1)} s` },
  { key: 'source', label: 'Source', render: (s) => s.source ?? '–' },
  { key: 'packets', label: 'Packets', render: (s) => s.packets.toLocaleString('en') },
  { key: 'drops', label: 'Capture drops', render: (s) => s.captureDrops.toLocaleString('en') },
  {
    key: 'spool',
    label: 'Spool',
    render: (s) =>
      `${megabytes(s.spoolBytes)}${
        s.spoolDropped.low + s.spoolDropped.high > 0
          ? `, dropped ${s.spoolDropped.low} low-value / ${s.spoolDropped.high} other`
          : ''
      }`,
  },
  { key: 'version', label: 'Version', render: (s) => s.version ?? '–' },
  { key: 'started', label: 'Started', render: (s) => (s.startedAt ? formatDate(s.startedAt) : '–') },
];

export function SensorsTab() {
  const sensors = useLoad(loadSensors, []);
  const rows = [...(sensors.data ?? [])].sort(
    (a, b) => Number(b.silent) - Number(a.silent) || a.id.localeCompare(b.id),
  );
  return (
    <>
      <p>
        Remote sensors at the sites (<code>vigil sensor --site … --nats …</code>) and how they report. A
        sensor that stops reporting is marked silent and raises an alert.
      </p>
      <ErrorMessage error={sensors.error} />
      {sensors.data ? (
        <DataTable
          caption="Sensors"
          columns={COLUMNS}
          rows={rows}
          rowKey={(s) => s.id}
          empty="No remote sensor has reported yet (a single machine that imports captures itself has none)."
          rowClass={(s) => (s.silent ? 'overdue' : undefined)}
        />
      ) : (
        !sensors.error && <Loading what="the sensors" />
      )}
    </>
  );
}
