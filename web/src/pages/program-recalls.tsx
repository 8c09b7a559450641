/**
 * @module FDA recalls matched to devices (GET /recalls/matches): recall, device, basis, confidence,
 * state and the matcher's explanation, filtered by state (`?state=`) or to cybersecurity recalls
 * (`?cyber=true`); with recalls:write, confirm or reject a match with a reason
 * (POST /recalls/matches/{id}/decision) and run the matcher again (POST /recalls/match).
 */

import { type FormEvent, useState } from 'react';
import { plural } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Badge, Dialog, ErrorMessage, Loading, SelectField, TextField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';

type Match = Awaited<ReturnType<typeof loadMatches>>['items'][number];
type Decision = 'confirm' | 'reject';

const STATES = ['matched', 'candidate', 'confirmed', 'rejected'] as const satisfies readonly Match['state'][];
const PATH = '/program/recalls';

function loadMatches(state: string, cyber: boolean) {
  return ok(
    api().recalls.matches.$get({
      query: { ...(state ? { state } : {}), ...(cyber ? { cyber: 'true' } : {}) } as never,
    }),
  );
}

function DecisionForm(props: {
  match: Match;
  decision: Decision;
  onDone: (m: string) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const m = await ok(
        api().recalls.matches[':id'].decision.$post({
          param: { id: props.match.id },
          json: { decision: props.decision, ...(reason ? { reason } : {}) },
        }),
      );
      props.onDone(`Recall ${m.recallNumber} on ${m.deviceLabel}: ${m.state}.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit}>
      <p className="muted">
        Recall {props.match.recallNumber} on {props.match.deviceLabel}: {props.match.explanation}
      </p>
      <TextField label="Reason (optional)" name="reason" value={reason} onChange={setReason} />
      <ErrorMessage error={error} />
      <div className="toolbar">
        <button type="submit" className="primary">
          {props.decision === 'confirm' ? 'Confirm match' : 'Reject match'}
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function RecallsTab() {
  const { query } = useLocation();
  const can = useCan();
  const state = query.get('state') ?? '';
  const cyber = query.get('cyber') === 'true';
  const matches = useLoad(() => loadMatches(state, cyber), [state, cyber]);
  const [deciding, setDeciding] = useState<{ match: Match; decision: Decision } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const go = (next: Record<string, string | undefined>) =>
    navigate(href(PATH, { state, cyber: cyber ? 'true' : undefined, ...next }));
  const done = (m: string) => {
    setDeciding(null);
    setMessage(m);
    matches.reload();
  };
  const runMatcher = async () => {
    setError(null);
    setMessage(null);
    try {
      const r = await ok(api().recalls.match.$post({ json: {} }));
      setMessage(
        `Matched ${plural(r.recalls, 'recall')} against ${plural(r.devices, 'device')}: ${r.added} new, ${r.updated} changed, ${r.removed} removed, ${r.unchanged} unchanged.`,
      );
      matches.reload();
    } catch (err) {
      setError(err);
    }
  };

  const columns: Column<Match>[] = [
    {
      key: 'recall',
      label: 'Recall',
      render: (m) => (
        <>
          {m.recallNumber} {m.cyber && <Badge tone="critical">cybersecurity</Badge>}
        </>
      ),
    },
    {
      key: 'device',
      label: 'Device',
      render: (m) => <Link href={`/devices/${encodeURIComponent(m.deviceId)}`}>{m.deviceLabel}</Link>,
    },
    { key: 'serial', label: 'Serial', render: (m) => m.serialNumber ?? '—' },
    { key: 'model', label: 'Model', render: (m) => m.model ?? '—' },
    { key: 'basis', label: 'Basis', render: (m) => m.basis },
    { key: 'conf', label: 'Confidence', render: (m) => m.confidence },
    { key: 'state', label: 'State', render: (m) => <Badge tone={m.state}>{m.state}</Badge> },
    {
      key: 'why',
      label: 'Why',
      render: (m) => (
        <>
          {m.explanation}
          {m.decidedBy && (
            <div className="muted">
              {m.state} by {m.decidedBy}
              {m.decisionReason ? `: ${m.decisionReason}` : ''}
            </div>
          )}
        </>
      ),
    },
  ];
  if (can('recalls:write'))
    columns.push({
      key: 'act',
      label: 'Actions',
      render: (m) => (
        <span className="toolbar">
          {m.state !== 'confirmed' && (
            <button
              type="button"
              onClick={() => setDeciding({ match: m, decision: 'confirm' })}
              aria-label={`Confirm recall ${m.recallNumber} on ${m.deviceLabel}`}
            >
              Confirm
            </button>
          )}
          {m.state !== 'rejected' && (
            <button
              type="button"
              onClick={() => setDeciding({ match: m, decision: 'reject' })}
              aria-label={`Reject recall ${m.recallNumber} on ${m.deviceLabel}`}
            >
              Reject
            </button>
          )}
        </span>
      ),
    });

  return (
    <>
      <h2>FDA recalls matched to devices</h2>
      <div className="toolbar">
        <SelectField
          label="State"
          name="state"
          value={state}
          empty="any"
          options={STATES}
          onChange={(v) => go({ state: v || undefined })}
        />
        <label>
          <input
            type="checkbox"
            checked={cyber}
            onChange={(e) => go({ cyber: e.target.checked ? 'true' : undefined })}
          />{' '}
          Only cybersecurity recalls
        </label>
        {can('recalls:write') && (
          <button type="button" onClick={runMatcher}>
            Run the matcher
          </button>
        )}
      </div>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <ErrorMessage error={error ?? matches.error} />
      {matches.data ? (
        <DataTable
          caption="Recall matches"
          columns={columns}
          rows={matches.data.items}
          rowKey={(m) => m.id}
          empty="No recall matches a device (recalls are imported with `vigil recalls import`)."
        />
      ) : (
        <Loading what="recall matches" />
      )}
      <Dialog
        title={deciding?.decision === 'reject' ? 'Reject recall match' : 'Confirm recall match'}
        open={deciding !== null}
        onClose={() => setDeciding(null)}
      >
        {deciding && (
          <DecisionForm
            match={deciding.match}
            decision={deciding.decision}
            onDone={done}
            onClose={() => setDeciding(null)}
          />
        )}
      </Dialog>
    </>
  );
}
