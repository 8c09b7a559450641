/**
 * @module The audit log (GET /audit, newest first, keyset paging by sequence number) with the hash
 * chain's verification result (GET /audit/verify) at the top, and the JSON-lines export. Saved views keep
 * the actor and action filters by name (GET/POST/DELETE /saved-views).
 */

import { type FormEvent, useEffect, useState } from 'react';
import { pluralWord } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { SavedViews } from '../components/saved-views.js';
import { Badge, ErrorMessage, formatDate, Loading, TextField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';

export default function AuditPage() {
  const { query } = useLocation();
  const actor = query.get('actor') ?? '';
  const action = query.get('action') ?? '';
  const beforeSeq = query.get('beforeSeq') ?? '';
  const entries = useLoad(
    () =>
      ok(
        api().audit.$get({
          query: {
            limit: '100',
            ...(actor ? { actor } : {}),
            ...(action ? { action } : {}),
            ...(beforeSeq ? { beforeSeq } : {}),
          } as never,
        }),
      ),
    [actor, action, beforeSeq],
  );
  const chain = useLoad(() => ok(api().audit.verify.$get()), []);
  const [draft, setDraft] = useState({ actor, action });
  // The URL may change under the form (a saved view, back and forward): the fields follow it.
  useEffect(() => setDraft({ actor, action }), [actor, action]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('/admin/audit', draft));
  };
  // The export streams JSON lines, which the typed client does not describe: its URL sits beside verify's.
  const exportUrl = new URL('export', api().audit.verify.$url());
  return (
    <>
      <h1>Audit log</h1>
      <section className="card" aria-label="Chain verification">
        {chain.error ? (
          <ErrorMessage error={chain.error} />
        ) : chain.data ? (
          chain.data.ok ? (
            <p role="status">
              <Badge tone="ok">chain intact</Badge> {chain.data.entries.toLocaleString('en')}{' '}
              {pluralWord(chain.data.entries, 'entry', 'entries')} verified.
            </p>
          ) : (
            <p role="alert">
              <Badge tone="critical">chain broken</Badge> at entry {chain.data.firstBroken?.seq}:{' '}
              {chain.data.firstBroken?.reason}
            </p>
          )
        ) : (
          <Loading what="the chain verification" />
        )}
      </section>
      <form className="toolbar" onSubmit={apply} aria-label="Filter audit entries">
        <TextField
          label="Actor"
          name="actor"
          value={draft.actor}
          onChange={(v) => setDraft((d) => ({ ...d, actor: v }))}
        />
        <TextField
          label="Action"
          name="action"
          value={draft.action}
          onChange={(v) => setDraft((d) => ({ ...d, action: v }))}
          placeholder="e.g. device.import"
        />
        <button type="submit" className="primary">
          Apply filters
        </button>
        <a className="button" href={exportUrl.pathname} download>
          Export (JSON lines)
        </a>
      </form>
      <SavedViews page="audit" path="/admin/audit" query={href('', { actor, action })} />
      <ErrorMessage error={entries.error} />
      {entries.data ? (
        <>
          <DataTable
            caption="Audit entries"
            rows={entries.data.items}
            rowKey={(e) => e.id}
            empty="No entries."
            columns={[
              { key: 'seq', label: 'Seq', render: (e) => e.seq },
              { key: 'at', label: 'When', render: (e) => formatDate(e.at) },
              { key: 'actor', label: 'Actor', render: (e) => `${e.actor} (${e.actorKind})` },
              { key: 'action', label: 'Action', render: (e) => e.action },
              { key: 'outcome', label: 'Outcome', render: (e) => e.outcome },
              {
                key: 'target',
                label: 'Target',
                render: (e) =>
                  !e.targetType ? (
                    '—'
                  ) : e.targetLabel && e.targetType === 'device' && e.targetId ? (
                    <span title={e.targetId}>
                      device <Link href={`/devices/${encodeURIComponent(e.targetId)}`}>{e.targetLabel}</Link>
                    </span>
                  ) : e.targetLabel ? (
                    <span title={e.targetId ?? undefined}>
                      {e.targetType} {e.targetLabel}
                    </span>
                  ) : (
                    `${e.targetType} ${e.targetId ?? ''}`
                  ),
              },
              {
                key: 'summary',
                label: 'Summary',
                render: (e) => <code>{JSON.stringify(e.summary).slice(0, 200)}</code>,
              },
            ]}
          />
          {entries.data.nextBeforeSeq !== null && (
            <p>
              <button
                type="button"
                onClick={() =>
                  navigate(href('/admin/audit', { actor, action, beforeSeq: entries.data?.nextBeforeSeq }))
                }
              >
                Older entries
              </button>
            </p>
          )}
        </>
      ) : (
        <Loading what="audit entries" />
      )}
    </>
  );
}
