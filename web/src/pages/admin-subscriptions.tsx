/**
 * @module Advisory subscriptions (GET /feeds): every feed with its sync state (last attempt, last
 * success, last error, stale). With advisories:write: subscribe (POST /feeds), sync now
 * (POST /feeds/sync), unsubscribe (DELETE /feeds/{feed}; what was imported stays).
 */

import { type FormEvent, useState } from 'react';
import { plural } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading, SelectField, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';

/** The kinds POST /feeds takes (src/advisories/feeds-service.ts FEED_KINDS). */
const KINDS = ['csaf-provider', 'kev', 'epss', 'nvd', 'cve5', 'osv'] as const;
type Kind = (typeof KINDS)[number];

export function SubscriptionsTab() {
  const can = useCan();
  const feeds = useLoad(() => ok(api().feeds.$get()), []);
  const [draft, setDraft] = useState({ kind: 'csaf-provider' as Kind, name: '', url: '', manufacturer: '' });
  const [signed, setSigned] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<string>) => {
    setError(null);
    setMessage(null);
    setBusy(true);
    try {
      setMessage(await what());
      feeds.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const subscribe = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      const f = await ok(
        api().feeds.$post({
          json: {
            kind: draft.kind,
            name: draft.name.trim(),
            url: draft.url.trim(),
            ...(draft.manufacturer.trim() ? { manufacturer: draft.manufacturer.trim() } : {}),
            requireSignature: signed,
          },
        }),
      );
      setDraft((d) => ({ ...d, name: '', url: '', manufacturer: '' }));
      return `Subscribed to ${f.name}; it syncs with the next run, or now with "Sync now".`;
    });
  };
  const sync = (feed?: string) =>
    run(async () => {
      const r = await ok(api().feeds.sync.$post({ query: feed ? { feed } : {} }));
      const n = r.match ? ` ${plural(r.match.changed + r.match.added, 'match', 'matches')} changed.` : '';
      return `Synced ${plural(r.feeds.length, 'feed')}.${n}`;
    });
  const remove = (feed: string) =>
    run(async () => {
      await ok(api().feeds[':feed'].$delete({ param: { feed } }));
      return `Unsubscribed from ${feed}; what it imported stays.`;
    });
  type Feed = NonNullable<typeof feeds.data>['items'][number];

  return (
    <>
      <h1>Advisory subscriptions</h1>
      <p className="muted">
        Manufacturers' CSAF providers, CISA's KEV, EPSS, NVD, CVE and OSV feeds, synced hourly by{' '}
        <code>vigil serve</code> (docs/advisories.md).
      </p>
      <ErrorMessage error={error ?? feeds.error} />
      {message && <p role="status">{message}</p>}
      {feeds.data ? (
        <DataTable
          caption="Subscriptions"
          rows={feeds.data.items}
          rowKey={(f) => f.id}
          empty="No subscriptions yet."
          columns={[
            { key: 'name', label: 'Name', render: (f) => f.name },
            { key: 'kind', label: 'Kind', render: (f) => f.kind },
            { key: 'url', label: 'URL', render: (f) => f.url ?? '—' },
            { key: 'mfr', label: 'Manufacturer', render: (f) => f.manufacturer ?? '—' },
            {
              key: 'state',
              label: 'Sync state',
              render: (f) =>
                f.lastError ? (
                  <Badge tone="critical">failed</Badge>
                ) : !f.lastSuccessAt ? (
                  <Badge tone="medium">never synced</Badge>
                ) : f.stale ? (
                  <Badge tone="high">stale</Badge>
                ) : (
                  <Badge tone="ok">up to date</Badge>
                ),
            },
            { key: 'attempt', label: 'Last attempt', render: (f) => formatDate(f.lastAttemptAt) },
            { key: 'success', label: 'Last success', render: (f) => formatDate(f.lastSuccessAt) },
            { key: 'error', label: 'Last error', render: (f) => f.lastError ?? '—' },
            { key: 'docs', label: 'Documents', render: (f) => f.documents ?? '—' },
            ...(can('advisories:write')
              ? [
                  {
                    key: 'act',
                    label: 'Actions',
                    render: (f: Feed) => (
                      <>
                        <button type="button" disabled={busy} onClick={() => sync(f.name)}>
                          Sync {f.name} now
                        </button>{' '}
                        <button type="button" disabled={busy} onClick={() => remove(f.name)}>
                          Unsubscribe {f.name}
                        </button>
                      </>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        !feeds.error && <Loading what="subscriptions" />
      )}
      {can('advisories:write') && (
        <>
          {feeds.data && feeds.data.items.length > 0 && (
            <p>
              <button type="button" disabled={busy} onClick={() => sync()}>
                Sync all now
              </button>
            </p>
          )}
          <form className="card" onSubmit={subscribe} aria-label="Subscribe to a feed">
            <h2>Subscribe</h2>
            <div className="toolbar">
              <SelectField
                label="Kind"
                name="kind"
                value={draft.kind}
                onChange={(v) => setDraft((d) => ({ ...d, kind: v as Kind }))}
                options={KINDS}
              />
              <TextField
                label="Feed name"
                name="feedName"
                value={draft.name}
                onChange={(v) => setDraft((d) => ({ ...d, name: v }))}
                required
              />
              <TextField
                label="URL"
                name="url"
                type="url"
                value={draft.url}
                onChange={(v) => setDraft((d) => ({ ...d, url: v }))}
                placeholder="https://…/provider-metadata.json"
                required
              />
              <TextField
                label="Manufacturer"
                name="manufacturer"
                value={draft.manufacturer}
                onChange={(v) => setDraft((d) => ({ ...d, manufacturer: v }))}
              />
              <label>
                <input type="checkbox" checked={signed} onChange={(e) => setSigned(e.target.checked)} />{' '}
                Require OpenPGP signatures
              </label>
            </div>
            <p>
              <button type="submit" className="primary" disabled={busy}>
                Subscribe
              </button>
            </p>
          </form>
        </>
      )}
    </>
  );
}
