/**
 * @module Remediation tasks (GET /tasks): filter by state and overdue; move a task through its states
 * (POST /tasks/{id}/transitions) with the fields each move needs (assign and schedule, mark applied,
 * close with a reason); accept the risk with a reason and an expiry (POST /risk-acceptances,
 * risk:accept). The state machine lives on the server: the dialog offers the task's `nextStates`. Saved
 * views keep the state and overdue filters by name (GET/POST/DELETE /saved-views).
 */
import { type FormEvent, useState } from 'react';
import { TRANSITIONS } from '../../../src/tasks/task-states.js';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { SavedViews } from '../components/saved-views.js';
import {
  Badge,
  Dialog,
  ErrorMessage,
  formatDate,
  Loading,
  SelectField,
  TextField,
} from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';

type Task = Awaited<ReturnType<typeof fetchTaskList>>['items'][number];

const fetchTaskList = (query: Record<string, string>) => ok(api().tasks.$get({ query: query as never }));

const STATES = [
  'open',
  'awaiting-manufacturer',
  'scheduled',
  'applied',
  'verified',
  'closed',
  'risk-accepted',
] as const satisfies readonly Task['state'][];
const DECISIONS = ['accept', 'reduce', 'avoid', 'transfer'] as const;

/** Rows a page can show; a hospital has thousands of tasks, and a table of them all helps nobody. */
const PAGE_SIZES = ['20', '50', '200', '1000'] as const;
const DEFAULT_ROWS = 200;

/**
 * One page of tasks: one more than the page is asked for, to know whether there is a next page without
 * counting them all. With `only`, that one task, wherever it would fall in the list.
 */
async function loadTasks(
  state: string,
  overdue: boolean,
  from: number,
  rows: number,
  only: string | null,
): Promise<{ items: Task[]; more: boolean }> {
  if (only) return { items: [await ok(api().tasks[':id'].$get({ param: { id: only } }))], more: false };
  const { items } = await fetchTaskList({
    ...(state ? { state } : {}),
    ...(overdue ? { overdue: 'true' } : {}),
    limit: String(rows + 1),
    offset: String(from),
  });
  return { items: items.slice(0, rows), more: items.length > rows };
}

/** `YYYY-MM-DDTHH:MM` of a datetime-local input as ISO-8601 UTC. */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** What a move may ask for (a transition's `requires`), in the order the form shows it. */
const MOVE_FIELDS: readonly { name: string; label: string; type?: 'datetime-local' }[] = [
  { name: 'assignee', label: 'Assignee' },
  { name: 'windowStart', label: 'Window start', type: 'datetime-local' },
  { name: 'windowEnd', label: 'Window end', type: 'datetime-local' },
  { name: 'appliedBy', label: 'Applied by' },
  { name: 'appliedAt', label: 'Applied at', type: 'datetime-local' },
];

function MoveDialog({
  task,
  onDone,
  onClose,
}: {
  task: Task;
  onDone: (msg: string) => void;
  onClose: () => void;
}) {
  const moves = task.nextStates.filter((to) =>
    TRANSITIONS.some((r) => r.from === task.state && r.to === to && r.via.includes('user')),
  );
  const [to, setTo] = useState<string>(moves[0] ?? '');
  const [fields, setFields] = useState<Record<string, string>>({ assignee: task.assignee ?? '' });
  const [error, setError] = useState<unknown>(null);
  const rule = TRANSITIONS.find((r) => r.from === task.state && r.to === to);
  const needs = new Set<string>(rule?.requires ?? []);
  const set = (k: string) => (v: string) => setFields((f) => ({ ...f, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { state: to };
    for (const f of MOVE_FIELDS) {
      if (!needs.has(f.name)) continue;
      const v = fields[f.name] ?? '';
      body[f.name] = f.type === 'datetime-local' ? iso(v) : v;
    }
    if (fields['reason']) body['reason'] = fields['reason'];
    try {
      const moved = await ok(api().tasks[':id'].transitions.$post({ param: { id: task.id }, json: body }));
      onDone(`Task moved to ${moved.state}.`);
    } catch (err) {
      setError(err);
    }
  };
  if (moves.length === 0) return <p>No move is open to you from {task.state}.</p>;
  return (
    <form onSubmit={submit}>
      <p className="muted">{task.title}</p>
      <SelectField label="New state" name="state" value={to} onChange={setTo} options={moves} />
      {rule && <p className="muted">{rule.description}</p>}
      {MOVE_FIELDS.filter((f) => needs.has(f.name)).map((f) => (
        <TextField
          key={f.name}
          label={f.label}
          name={f.name}
          {...(f.type ? { type: f.type } : {})}
          value={fields[f.name] ?? ''}
          onChange={set(f.name)}
          required
        />
      ))}
      <TextField
        label={needs.has('reason') ? 'Reason' : 'Reason (optional)'}
        name="reason"
        value={fields['reason'] ?? ''}
        onChange={set('reason')}
        required={needs.has('reason')}
      />
      <ErrorMessage error={error} />
      <div className="toolbar">
        <button type="submit" className="primary">
          Move task
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AcceptDialog({
  task,
  onDone,
  onClose,
}: {
  task: Task;
  onDone: (msg: string) => void;
  onClose: () => void;
}) {
  const [decision, setDecision] = useState<string>('accept');
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await ok(
        api()['risk-acceptances'].$post({
          json: {
            scope: 'device',
            device: task.deviceId,
            vulnerability: task.vulnerability,
            decision,
            reason,
            expires,
          },
        }),
      );
      onDone('Risk accepted.');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit}>
      <p className="muted">
        {task.vulnerability} on {task.deviceLabel}
      </p>
      <SelectField
        label="Decision"
        name="decision"
        value={decision}
        onChange={setDecision}
        options={DECISIONS}
      />
      <TextField label="Reason" name="reason" value={reason} onChange={setReason} required />
      <TextField label="Expires" name="expires" type="date" value={expires} onChange={setExpires} required />
      <ErrorMessage error={error} />
      <div className="toolbar">
        <button type="submit" className="primary">
          Accept risk
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export default function TasksPage() {
  const { query } = useLocation();
  const can = useCan();
  const state = query.get('state') ?? '';
  const overdue = query.get('overdue') === 'true';
  const only = query.get('task');
  const rowsParam = query.get('rows');
  const pageRows = PAGE_SIZES.includes(rowsParam as never) ? Number(rowsParam) : DEFAULT_ROWS;
  const from = Math.max(0, Math.floor(Number(query.get('from') ?? 0)) || 0);
  const tasks = useLoad(
    () => loadTasks(state, overdue, from, pageRows, only),
    [state, overdue, from, pageRows, only],
  );
  /** This list's address with some of its settings changed; a new filter starts at the first page. */
  const listHref = (change: { state?: string; overdue?: boolean; from?: number; rows?: number }) =>
    href('/tasks', {
      state: change.state ?? state,
      overdue: (change.overdue ?? overdue) ? 'true' : undefined,
      rows: (change.rows ?? pageRows) === DEFAULT_ROWS ? undefined : String(change.rows ?? pageRows),
      from: change.from ? String(change.from) : undefined,
    });
  const [dialog, setDialog] = useState<{ kind: 'move' | 'accept'; task: Task } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const done = (msg: string) => {
    setDialog(null);
    setMessage(msg);
    tasks.reload();
  };
  const rows = tasks.data?.items ?? [];

  const columns: Column<Task>[] = [
    { key: 'title', label: 'Task', render: (t) => t.title },
    {
      key: 'device',
      label: 'Device',
      render: (t) => <Link href={`/devices/${encodeURIComponent(t.deviceId)}`}>{t.deviceLabel}</Link>,
    },
    { key: 'state', label: 'State', render: (t) => <Badge tone={t.state}>{t.state}</Badge> },
    {
      key: 'due',
      label: 'Due',
      render: (t) =>
        t.overdue ? <Badge tone="critical">overdue {formatDate(t.due)}</Badge> : formatDate(t.due),
    },
    { key: 'assignee', label: 'Assignee', render: (t) => t.assignee ?? '—' },
    {
      key: 'window',
      label: 'Window',
      render: (t) =>
        t.maintenanceWindow
          ? `${formatDate(t.maintenanceWindow.start)} – ${formatDate(t.maintenanceWindow.end)}`
          : '—',
    },
    { key: 'site', label: 'Site', render: (t) => [t.site, t.department].filter(Boolean).join(' / ') || '—' },
  ];
  if (can('tasks:write'))
    columns.push({
      key: 'act',
      label: 'Actions',
      render: (t) => (
        <span className="toolbar">
          {t.nextStates.length > 0 && (
            <button
              type="button"
              onClick={() => setDialog({ kind: 'move', task: t })}
              aria-label={`Move task ${t.title}`}
            >
              Move…
            </button>
          )}
          {can('risk:accept') &&
            t.vulnerability &&
            ['open', 'awaiting-manufacturer', 'scheduled'].includes(t.state) && (
              <button
                type="button"
                onClick={() => setDialog({ kind: 'accept', task: t })}
                aria-label={`Accept risk for ${t.title}`}
              >
                Accept risk…
              </button>
            )}
        </span>
      ),
    });

  return (
    <>
      <h1>Tasks</h1>
      <div className="toolbar">
        <SelectField
          label="State"
          name="state"
          value={state}
          empty="any"
          options={STATES}
          onChange={(v) => navigate(listHref({ state: v }))}
        />
        <label>
          <input
            type="checkbox"
            checked={overdue}
            onChange={(e) => navigate(listHref({ overdue: e.target.checked }))}
          />{' '}
          Only overdue
        </label>
        <SelectField
          label="Rows per page"
          name="rows"
          value={String(pageRows)}
          options={PAGE_SIZES}
          onChange={(v) => navigate(listHref({ rows: Number(v) }))}
        />
        {only && <Link href={listHref({})}>Show all tasks</Link>}
      </div>
      <SavedViews
        page="tasks"
        path="/tasks"
        query={href('', { state, overdue: overdue ? 'true' : undefined })}
      />
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <ErrorMessage error={tasks.error} />
      {tasks.data ? (
        <DataTable
          caption="Remediation tasks"
          columns={columns}
          rows={rows}
          rowKey={(t) => t.id}
          rowClass={(t) => (t.overdue ? 'overdue' : undefined)}
          empty="No tasks."
        />
      ) : (
        !tasks.error && <Loading what="tasks" />
      )}
      {tasks.data && !only && (from > 0 || tasks.data.more) && (
        <nav className="pager" aria-label="Pages of tasks">
          <button
            type="button"
            disabled={from === 0}
            onClick={() => navigate(listHref({ from: Math.max(0, from - pageRows) }))}
          >
            Previous
          </button>
          <span aria-live="polite">
            tasks {(from + 1).toLocaleString('en')}–{(from + rows.length).toLocaleString('en')}
          </span>
          <button
            type="button"
            disabled={!tasks.data.more}
            onClick={() => navigate(listHref({ from: from + pageRows }))}
          >
            Next
          </button>
        </nav>
      )}
      <Dialog
        title={dialog?.kind === 'accept' ? 'Accept risk' : 'Move task'}
        open={dialog !== null}
        onClose={() => setDialog(null)}
      >
        {dialog?.kind === 'move' && (
          <MoveDialog task={dialog.task} onDone={done} onClose={() => setDialog(null)} />
        )}
        {dialog?.kind === 'accept' && (
          <AcceptDialog task={dialog.task} onDone={done} onClose={() => setDialog(null)} />
        )}
      </Dialog>
    </>
  );
}
