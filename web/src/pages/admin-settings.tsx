/**
 * @module Settings, read-only (GET /system): version, runtime, database and every configuration option
 * with its value (credentials only as "set"), and where configuration is changed (it is not changed
 * here). Alert destinations (GET /alert-destinations) with a test send (alerts:write).
 */
import { useState } from 'react';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';

/** `age1abcdefgh…uvwxyz`: enough to tell keys apart. */
const abbreviateKey = (k: string) => (k.length > 24 ? `${k.slice(0, 12)}…${k.slice(-6)}` : k);

export function SettingsTab() {
  const can = useCan();
  const system = useLoad(() => ok(api().system.$get()), []);
  const destinations = useLoad(
    () => (can('alerts:read') ? ok(api()['alert-destinations'].$get()) : Promise.resolve(null)),
    [],
  );
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const test = async (id: string, name: string) => {
    setError(null);
    setOutcome(null);
    try {
      const r = await ok(api()['alert-destinations'][':id'].test.$post({ param: { id }, query: {} }));
      setOutcome({
        ok: r.ok,
        text: r.ok
          ? `Test alert sent to ${name}.`
          : `Test alert to ${name} failed: ${r.error ?? 'unknown error'}`,
      });
    } catch (e) {
      setError(e);
    }
  };
  const s = system.data;
  type Destination = NonNullable<typeof destinations.data>['items'][number];
  return (
    <>
      <h1>Settings</h1>
      <ErrorMessage error={system.error} />
      {s ? (
        <>
          <section className="card" aria-label="System">
            <dl className="facts">
              <div>
                <dt>Version</dt>
                <dd>{s.version}</dd>
              </div>
              <div>
                <dt>Node.js</dt>
                <dd>{s.node}</dd>
              </div>
              <div>
                <dt>Database</dt>
                <dd>
                  {s.database.dialect}: {s.database.location}
                </dd>
              </div>
            </dl>
          </section>
          <h2>Backups</h2>
          <section className="card" aria-label="Backups">
            <p>
              {s.backups.overdue ? (
                <Badge tone="critical">overdue</Badge>
              ) : s.backups.lastAttempt?.status === 'failed' ? (
                <Badge tone="high">last attempt failed</Badge>
              ) : s.backups.lastGood ? (
                <Badge tone="ok">up to date</Badge>
              ) : (
                <Badge tone="medium">none taken</Badge>
              )}{' '}
              {s.backups.intervalHours
                ? `Every ${s.backups.intervalHours} h to ${s.backups.directory}, keeping ${s.backups.keep}.`
                : `Not scheduled: set backupIntervalHours, or run vigil db backup (to ${s.backups.directory}).`}
            </p>
            <dl className="facts">
              <div>
                <dt>Encryption</dt>
                <dd>
                  {s.backups.encryption ? (
                    <>
                      <Badge tone="ok">encrypted</Badge> with age to{' '}
                      {s.backups.encryption.recipients.length === 1
                        ? 'one recipient'
                        : `${s.backups.encryption.recipients.length} recipients`}
                      : <code>{abbreviateKey(s.backups.encryption.recipients[0]!)}</code>
                      {s.backups.encryption.recipients.length > 1 ? ' …' : ''}
                      {s.backups.unencrypted ? (
                        <>
                          {' '}
                          <Badge tone="medium">
                            {s.backups.unencrypted === 1
                              ? '1 older backup'
                              : `${s.backups.unencrypted} older backups`}{' '}
                            still plaintext
                          </Badge>{' '}
                          taken before encryption was on: <code>vigil db encrypt-backup --all</code>
                        </>
                      ) : null}
                    </>
                  ) : (
                    <>
                      <Badge tone="medium">not encrypted</Badge> set backupRecipients to an age public key
                      before copying backups off the server
                    </>
                  )}
                </dd>
              </div>
              <div>
                <dt>Last good backup</dt>
                <dd>
                  {s.backups.lastGood
                    ? `${formatDate(s.backups.lastGood.startedAt)} (${s.backups.lastGood.trigger}): ${s.backups.lastGood.file ?? ''}`
                    : '—'}
                </dd>
              </div>
              {s.backups.lastAttempt?.status === 'failed' && (
                <div>
                  <dt>Last attempt</dt>
                  <dd>
                    {formatDate(s.backups.lastAttempt.startedAt)} failed: {s.backups.lastAttempt.error}
                  </dd>
                </div>
              )}
            </dl>
            <p className="muted">
              Restored with <code>vigil db restore FILE</code> on the server; the secret key is kept apart
              from the backups (docs/backup.md).
            </p>
          </section>
          <h2>Configuration</h2>
          <p className="notice">Read-only here. {s.configurationSource}</p>
          <DataTable
            caption="Configuration"
            rows={s.configuration}
            rowKey={(o) => o.key}
            columns={[
              { key: 'key', label: 'Option', render: (o) => <code>{o.key}</code> },
              { key: 'env', label: 'Environment variable', render: (o) => <code>{o.env}</code> },
              {
                key: 'value',
                label: 'Value',
                render: (o) =>
                  o.secret ? (
                    <span className="muted">{o.set ? 'set (not shown)' : 'not set'}</span>
                  ) : o.set ? (
                    String(o.value)
                  ) : (
                    <span className="muted">not set</span>
                  ),
              },
              { key: 'doc', label: 'Meaning', render: (o) => o.doc },
            ]}
          />
        </>
      ) : (
        !system.error && <Loading what="the settings" />
      )}
      {can('alerts:read') && (
        <>
          <h2>Alert destinations</h2>
          <p className="muted">
            Added and removed with <code>vigil alerts destinations</code> or the API (docs/alert-delivery.md).
          </p>
          <ErrorMessage error={error ?? destinations.error} />
          {outcome && (
            <p role="status">
              <Badge tone={outcome.ok ? 'ok' : 'critical'}>{outcome.ok ? 'sent' : 'failed'}</Badge>{' '}
              {outcome.text}
            </p>
          )}
          {destinations.data ? (
            <DataTable
              caption="Alert destinations"
              rows={destinations.data.items}
              rowKey={(d) => d.id}
              empty="No alert destinations: alerts stay in Vigil."
              columns={[
                { key: 'name', label: 'Name', render: (d) => d.name },
                { key: 'kind', label: 'Kind', render: (d) => d.kind },
                { key: 'target', label: 'Target', render: (d) => d.target },
                { key: 'enabled', label: 'Enabled', render: (d) => (d.enabled ? 'yes' : 'no') },
                { key: 'secret', label: 'Signing secret', render: (d) => (d.hasSecret ? 'set' : '—') },
                ...(can('alerts:write')
                  ? [
                      {
                        key: 'test',
                        label: 'Test',
                        render: (d: Destination) => (
                          <button type="button" onClick={() => test(d.id, d.name)}>
                            Send a test alert to {d.name}
                          </button>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          ) : (
            !destinations.error && <Loading what="alert destinations" />
          )}
        </>
      )}
    </>
  );
}
