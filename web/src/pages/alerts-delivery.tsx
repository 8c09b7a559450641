/**
 * @module Alert delivery (`/alerts/delivery`): where alerts and task events go (GET /alert-destinations:
 * syslog and signed webhooks; secrets are never returned) and what Vigil gave up sending (GET
 * /alert-dead-letters, GET /task-dead-letters: the receiver was down, refused or the queue expired).
 * With alerts:write: add a destination (POST /alert-destinations), send a test alert or task event
 * (POST …/test), remove one after a confirmation (DELETE: its delivery records go with it), and send a
 * dead letter again (POST …/retry), the same operations as `vigil alerts destinations|dead-letters` and
 * `vigil tasks dead-letters|retry` (docs/alert-delivery.md, docs/tasks.md). Task dead letters also need
 * tasks:read; an account limited to sites sees neither task events nor destinations' tests' outcomes
 * beyond what the API gives it.
 */
import { type FormEvent, useState } from 'react';
import { plural } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import {
  Badge,
  Dialog,
  ErrorMessage,
  formatDate,
  Loading,
  SelectField,
  TextField,
} from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';

const TRANSPORTS = ['tls', 'tcp', 'udp'] as const;
const EVENT_CHOICES = [
  { value: 'alerts', label: 'alerts' },
  { value: 'tasks', label: 'task events (CMMS, ticketing)' },
  { value: 'alerts,tasks', label: 'alerts and task events' },
] as const;
/** The most a page lists; more dead letters than this means the receiver has been down for long. */
const LIMIT = 1000;

interface Draft {
  kind: 'webhook' | 'syslog';
  name: string;
  url: string;
  secret: string;
  events: string;
  transport: (typeof TRANSPORTS)[number];
  host: string;
  port: string;
  facility: string;
  caFile: string;
}
const EMPTY: Draft = {
  kind: 'webhook',
  name: '',
  url: '',
  secret: '',
  events: 'alerts',
  transport: 'tls',
  host: '',
  port: '6514',
  facility: '',
  caFile: '',
};

/** The POST /alert-destinations body the form describes; only the fields its kind takes. */
function bodyOf(d: Draft): Record<string, unknown> {
  if (d.kind === 'webhook')
    return {
      kind: 'webhook',
      name: d.name.trim(),
      url: d.url.trim(),
      secret: d.secret,
      events: d.events.split(','),
    };
  return {
    kind: 'syslog',
    name: d.name.trim(),
    transport: d.transport,
    host: d.host.trim(),
    port: Number(d.port),
    ...(d.facility.trim() ? { facility: d.facility.trim() } : {}),
    ...(d.transport === 'tls' && d.caFile.trim() ? { caFile: d.caFile.trim() } : {}),
  };
}

export function DeliveryTab() {
  const can = useCan();
  const write = can('alerts:write');
  const tasks = can('tasks:read');
  const destinations = useLoad(() => ok(api()['alert-destinations'].$get()), []);
  const alertLetters = useLoad(
    () => ok(api()['alert-dead-letters'].$get({ query: { limit: String(LIMIT) } as never })),
    [],
  );
  const taskLetters = useLoad(
    () =>
      tasks
        ? ok(api()['task-dead-letters'].$get({ query: { limit: String(LIMIT) } as never }))
        : Promise.resolve(undefined),
    [tasks],
  );
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const reload = () => {
    destinations.reload();
    alertLetters.reload();
    taskLetters.reload();
  };
  const run = async (what: () => Promise<string>) => {
    setError(null);
    setMessage(null);
    setBusy(true);
    try {
      setMessage(await what());
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      const d = await ok(api()['alert-destinations'].$post({ json: bodyOf(draft) }));
      setDraft(EMPTY);
      return `Destination ${d.name} added (${d.target}). Send it a test to check the receiver.`;
    });
  };
  const test = (name: string, event: 'alert' | 'task') =>
    run(async () => {
      const r = await ok(
        api()['alert-destinations'][':id'].test.$post({ param: { id: name }, query: { event } as never }),
      );
      const what = event === 'task' ? 'Test task event' : 'Test alert';
      return r.ok
        ? `${what} delivered to ${r.destination}.`
        : `${what} to ${r.destination} failed: ${r.error ?? 'no reason given'}.`;
    });
  const remove = (d: { id: string; name: string }) =>
    run(async () => {
      setRemoving(null);
      await ok(api()['alert-destinations'][':id'].$delete({ param: { id: d.id } }));
      return `Destination ${d.name} removed, with its delivery records.`;
    });
  const retryAlert = (id: string) =>
    run(async () => {
      const r = await ok(api()['alert-dead-letters'][':id'].retry.$post({ param: { id } }));
      return r.ok
        ? `Alert delivered to ${r.destination}.`
        : `Still failing at ${r.destination}: ${r.error ?? 'no reason given'}.`;
    });
  const retryTask = (id: string) =>
    run(async () => {
      const r = await ok(api()['task-dead-letters'][':id'].retry.$post({ param: { id } }));
      return r.ok
        ? `Task event delivered to ${r.destination}.`
        : `Still failing at ${r.destination}: ${r.error ?? 'no reason given'}.`;
    });

  // Dead letters per destination, so a broken receiver stands out in the list of destinations.
  const deadBy = new Map<string, number>();
  for (const l of [...(alertLetters.data?.items ?? []), ...(taskLetters.data?.items ?? [])])
    deadBy.set(l.destinationId, (deadBy.get(l.destinationId) ?? 0) + 1);
  type Destination = NonNullable<typeof destinations.data>['items'][number];

  return (
    <>
      <h2>Destinations</h2>
      <p className="muted">
        Syslog receivers (a SIEM) get alerts; signed webhooks get alerts, task events for the CMMS or
        ticketing system, or both (docs/alert-delivery.md). Secrets are never shown again after they are
        saved.
      </p>
      <ErrorMessage error={error ?? destinations.error} />
      {message && <p role="status">{message}</p>}
      {destinations.data ? (
        <DataTable
          caption="Destinations"
          rows={destinations.data.items}
          rowKey={(d) => d.id}
          empty="No destinations: alerts stay in Vigil and task events are not sent anywhere."
          columns={[
            { key: 'name', label: 'Name', render: (d) => d.name },
            { key: 'kind', label: 'Kind', render: (d) => d.kind },
            { key: 'target', label: 'Sends to', render: (d) => d.target },
            { key: 'events', label: 'Receives', render: (d) => d.events.join(', ') },
            {
              key: 'state',
              label: 'State',
              render: (d) => {
                const dead = deadBy.get(d.id) ?? 0;
                return !d.enabled ? (
                  <Badge tone="medium">disabled</Badge>
                ) : dead > 0 ? (
                  <Badge tone="critical">{plural(dead, 'dead letter')}</Badge>
                ) : (
                  <Badge tone="ok">no dead letters</Badge>
                );
              },
            },
            { key: 'by', label: 'Added by', render: (d) => `${d.createdBy}, ${formatDate(d.createdAt)}` },
            ...(write
              ? [
                  {
                    key: 'act',
                    label: 'Actions',
                    render: (d: Destination) => (
                      <span className="toolbar">
                        {d.events.includes('alerts') && (
                          <button type="button" disabled={busy} onClick={() => test(d.name, 'alert')}>
                            Send a test alert to {d.name}
                          </button>
                        )}
                        {d.events.includes('tasks') && (
                          <button type="button" disabled={busy} onClick={() => test(d.name, 'task')}>
                            Send a test task event to {d.name}
                          </button>
                        )}
                        <button type="button" disabled={busy} onClick={() => setRemoving(d)}>
                          Remove {d.name}
                        </button>
                      </span>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        !destinations.error && <Loading what="destinations" />
      )}

      <h2>Alerts not delivered</h2>
      <ErrorMessage error={alertLetters.error} />
      {alertLetters.data ? (
        <DataTable
          caption="Alert dead letters"
          rows={alertLetters.data.items}
          rowKey={(l) => l.id}
          empty="None: every alert reached its destinations."
          columns={[
            { key: 'sev', label: 'Severity', render: (l) => <Badge tone={l.severity}>{l.severity}</Badge> },
            { key: 'title', label: 'Alert', render: (l) => l.title },
            { key: 'dest', label: 'Destination', render: (l) => l.destination },
            { key: 'attempts', label: 'Attempts', render: (l) => l.attempts },
            { key: 'error', label: 'Last error', render: (l) => l.lastError ?? '—' },
            { key: 'when', label: 'Given up', render: (l) => formatDate(l.updatedAt) },
            ...(write
              ? [
                  {
                    key: 'act',
                    label: 'Actions',
                    render: (l: { id: string; title: string; destination: string }) => (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => retryAlert(l.id)}
                        aria-label={`Send again: ${l.title} to ${l.destination}`}
                      >
                        Send again
                      </button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        !alertLetters.error && <Loading what="alert dead letters" />
      )}

      {tasks && (
        <>
          <h2>Task events not delivered</h2>
          <p className="muted">
            A task change the CMMS or ticketing system never heard of. Sending again uses the same event id,
            so a receiver that got it after all drops the copy.
          </p>
          <ErrorMessage error={taskLetters.error} />
          {taskLetters.data ? (
            <DataTable
              caption="Task event dead letters"
              rows={taskLetters.data.items}
              rowKey={(l) => l.id}
              empty="None: every task event reached its destinations."
              columns={[
                { key: 'type', label: 'Event', render: (l) => l.type },
                { key: 'subject', label: 'About', render: (l) => l.subjectId },
                { key: 'dest', label: 'Destination', render: (l) => l.destination },
                { key: 'attempts', label: 'Attempts', render: (l) => l.attempts },
                { key: 'error', label: 'Last error', render: (l) => l.lastError ?? '—' },
                { key: 'when', label: 'Happened', render: (l) => formatDate(l.occurredAt) },
                ...(write
                  ? [
                      {
                        key: 'act',
                        label: 'Actions',
                        render: (l: { id: string; type: string; destination: string }) => (
                          <button
                            type="button"
                            disabled={busy}
                            onClick={() => retryTask(l.id)}
                            aria-label={`Send again: ${l.type} to ${l.destination}`}
                          >
                            Send again
                          </button>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          ) : (
            !taskLetters.error && <Loading what="task event dead letters" />
          )}
        </>
      )}

      {write && (
        <form className="card" onSubmit={add} aria-label="Add a destination">
          <h2>Add a destination</h2>
          <div className="toolbar">
            <SelectField
              label="Kind"
              name="kind"
              value={draft.kind}
              options={['webhook', 'syslog']}
              onChange={(v) => set({ kind: v as Draft['kind'] })}
            />
            <TextField
              label="Name"
              name="destName"
              value={draft.name}
              onChange={(v) => set({ name: v })}
              required
            />
            {draft.kind === 'webhook' ? (
              <>
                <TextField
                  label="URL"
                  name="url"
                  type="url"
                  value={draft.url}
                  onChange={(v) => set({ url: v })}
                  placeholder="https://cmms.hospital.example/vigil"
                  required
                />
                <TextField
                  label="Signing secret (32+ characters)"
                  name="secret"
                  type="password"
                  autoComplete="new-password"
                  value={draft.secret}
                  onChange={(v) => set({ secret: v })}
                  required
                />
                <SelectField
                  label="Receives"
                  name="events"
                  value={draft.events}
                  options={EVENT_CHOICES}
                  onChange={(v) => set({ events: v })}
                />
              </>
            ) : (
              <>
                <SelectField
                  label="Transport"
                  name="transport"
                  value={draft.transport}
                  options={TRANSPORTS}
                  onChange={(v) =>
                    set({ transport: v as Draft['transport'], port: v === 'tls' ? '6514' : '514' })
                  }
                />
                <TextField
                  label="Host"
                  name="host"
                  value={draft.host}
                  onChange={(v) => set({ host: v })}
                  required
                />
                <TextField
                  label="Port"
                  name="port"
                  type="number"
                  value={draft.port}
                  onChange={(v) => set({ port: v })}
                  required
                />
                <TextField
                  label="Facility"
                  name="facility"
                  value={draft.facility}
                  onChange={(v) => set({ facility: v })}
                  placeholder="local0"
                />
                {draft.transport === 'tls' && (
                  <TextField
                    // The server takes only files in the directory its operator set (alertTlsDir):
                    // a name there, not any path (docs/alert-delivery.md, "TLS files").
                    label="CA file in the server's TLS directory (alertTlsDir)"
                    name="caFile"
                    value={draft.caFile}
                    onChange={(v) => set({ caFile: v })}
                    placeholder="siem-ca.pem (empty: system trust store)"
                  />
                )}
              </>
            )}
          </div>
          <p>
            <button type="submit" className="primary" disabled={busy}>
              Add destination
            </button>
          </p>
        </form>
      )}

      <Dialog
        title={`Remove the destination ${removing?.name ?? ''}?`}
        open={removing !== null}
        onClose={() => setRemoving(null)}
      >
        <p>
          Alerts and task events stop going to it, and its delivery records and dead letters are deleted. The
          audit log keeps that you removed it.
        </p>
        <p className="toolbar">
          <button type="button" className="primary" onClick={() => removing && remove(removing)}>
            Remove
          </button>
          <button type="button" onClick={() => setRemoving(null)}>
            Cancel
          </button>
        </p>
      </Dialog>
    </>
  );
}
