/**
 * @module The work queue (GET /queue, /queue/groups): every affected or needs-review match and open
 * finding with its SSVC decision and due date, most urgent first, overdue highlighted, risk-accepted items
 * marked (and hidden on request); or folded by
 * model and fix. A row becomes a remediation task with one button (POST /tasks, tasks:write). Saved views
 * keep the overdue filter and the view (items or groups) by name (GET/POST/DELETE /saved-views).
 */
import { api, ok } from '../api.js';
import { CreateTaskButton } from '../components/create-task.js';
import { type Column, DataTable } from '../components/data-table.js';
import { SavedViews } from '../components/saved-views.js';
import { Badge, ErrorMessage, formatDate, Loading, Pager, SelectField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';

const PAGE = 50;

type Item = Awaited<ReturnType<typeof loadItems>>['items'][number];
type Group = Awaited<ReturnType<typeof loadGroups>>['items'][number];

/** The SSVC decisions the queue can be filtered by, most urgent first. */
const DECISIONS = ['immediate', 'out-of-cycle', 'scheduled', 'defer'] as const;

function loadItems(overdue: boolean, decision: string, hideAccepted: boolean, page: number) {
  return ok(
    api().queue.$get({
      query: {
        ...(overdue ? { overdue: 'true' } : {}),
        ...(hideAccepted ? { accepted: 'false' } : {}),
        ...(decision ? { decision } : {}),
        limit: String(PAGE),
        offset: String((page - 1) * PAGE),
      } as never,
    }),
  );
}
function loadGroups(overdue: boolean, decision: string, hideAccepted: boolean) {
  return ok(
    api().queue.groups.$get({
      query: {
        ...(overdue ? { overdue: 'true' } : {}),
        ...(decision ? { decision } : {}),
        ...(hideAccepted ? { accepted: 'false' } : {}),
      } as never,
    }),
  );
}

export default function QueuePage() {
  const { query } = useLocation();
  const can = useCan();
  const overdue = query.get('overdue') === 'true';
  const decision = query.get('decision') ?? '';
  const grouped = query.get('view') === 'groups';
  const hideAccepted = query.get('accepted') === 'false';
  const page = Number(query.get('page') ?? '1') || 1;
  const items = useLoad(
    () => (grouped ? Promise.resolve(null) : loadItems(overdue, decision, hideAccepted, page)),
    [overdue, decision, hideAccepted, grouped, page],
  );
  const groups = useLoad(
    () => (grouped ? loadGroups(overdue, decision, hideAccepted) : Promise.resolve(null)),
    [overdue, decision, hideAccepted, grouped],
  );
  const itemKey = (i: Item) => `${i.kind}-${i.deviceId}-${i.vulnerability ?? i.findingId}`;
  const go = (next: Record<string, string | number | undefined>) =>
    navigate(
      href('/queue', {
        overdue: overdue ? 'true' : undefined,
        decision: decision || undefined,
        accepted: hideAccepted ? 'false' : undefined,
        view: grouped ? 'groups' : undefined,
        page,
        ...next,
      }),
    );

  const itemColumns: Column<Item>[] = [
    { key: 'rank', label: '#', render: (i) => i.rank },
    {
      key: 'decision',
      label: 'Decision',
      render: (i) => (
        <>
          <Badge tone={i.decision}>{i.decision}</Badge>
          {i.acceptance ? (
            <>
              {' '}
              <Badge>
                risk {i.acceptance.decision === 'accept' ? 'accepted' : i.acceptance.decision} until{' '}
                {formatDate(i.acceptance.expiresAt)}
              </Badge>
            </>
          ) : null}
        </>
      ),
    },
    {
      key: 'due',
      label: 'Due',
      render: (i) =>
        i.overdue ? <Badge tone="critical">overdue since {formatDate(i.due)}</Badge> : formatDate(i.due),
    },
    {
      key: 'device',
      label: 'Device',
      render: (i) => <Link href={`/devices/${encodeURIComponent(i.deviceId)}`}>{i.deviceLabel}</Link>,
    },
    {
      key: 'what',
      label: 'Vulnerability or finding',
      render: (i) =>
        i.vulnerability ? (
          <Link href={`/vulnerabilities/${encodeURIComponent(i.vulnerability)}`}>
            {i.cve ?? i.vulnerability}
          </Link>
        ) : (
          (i.title ?? '—')
        ),
    },
    {
      key: 'model',
      label: 'Model',
      render: (i) => [i.group.manufacturer, i.group.model, i.group.version].filter(Boolean).join(' ') || '—',
    },
    { key: 'cvss', label: 'CVSS', render: (i) => i.cvss.environmental ?? i.cvss.base ?? '—' },
    { key: 'fix', label: 'Fix', render: (i) => i.group.fix ?? (i.fixAvailable ? 'available' : 'none known') },
    {
      key: 'why',
      label: 'Why',
      render: (i) => (
        <details>
          <summary>{i.dueBecause}</summary>
          <ul>
            {i.evidence.map((e) => (
              <li key={`${e.point}-${e.value}`}>
                {e.point} = {e.value}: {e.because} ({e.source})
              </li>
            ))}
          </ul>
        </details>
      ),
    },
  ];
  if (can('tasks:write'))
    itemColumns.push({
      key: 'act',
      label: 'Action',
      render: (i) => <CreateTaskButton item={i} />,
    });

  const groupColumns: Column<Group>[] = [
    { key: 'decision', label: 'Decision', render: (g) => <Badge tone={g.decision}>{g.decision}</Badge> },
    {
      key: 'model',
      label: 'Model',
      render: (g) => [g.manufacturer, g.model].filter(Boolean).join(' ') || '—',
    },
    { key: 'version', label: 'Version', render: (g) => g.version ?? '—' },
    { key: 'fix', label: 'Fix', render: (g) => g.fix ?? 'none known' },
    { key: 'devices', label: 'Devices', render: (g) => g.devices },
    {
      key: 'items',
      label: 'Items',
      // The group's decision is its most urgent item's: say how many items each decision has when they differ.
      render: (g) => {
        const parts = DECISIONS.filter((d) => g.byDecision[d] > 0);
        return parts.length > 1
          ? `${g.items} (${parts.map((d) => `${g.byDecision[d]} ${d}`).join(', ')})`
          : g.items;
      },
    },
    {
      key: 'overdue',
      label: 'Overdue',
      render: (g) => (g.overdue ? <Badge tone="critical">{g.overdue}</Badge> : 0),
    },
    { key: 'due', label: 'Earliest due', render: (g) => formatDate(g.earliestDue) },
    { key: 'vulns', label: 'Vulnerabilities', render: (g) => g.vulnerabilities.join(', ') },
  ];

  return (
    <>
      <h1>Work queue</h1>
      <fieldset className="toolbar">
        <legend className="visually-hidden">Queue view</legend>
        <SelectField
          label="Decision"
          value={decision}
          empty="any"
          options={DECISIONS}
          onChange={(v) => go({ decision: v || undefined, page: 1 })}
        />
        <label>
          <input
            type="checkbox"
            checked={overdue}
            onChange={(e) => go({ overdue: e.target.checked ? 'true' : undefined, page: 1 })}
          />{' '}
          Only overdue
        </label>
        <label>
          <input
            type="checkbox"
            checked={hideAccepted}
            onChange={(e) => go({ accepted: e.target.checked ? 'false' : undefined, page: 1 })}
          />{' '}
          Hide risk-accepted
        </label>
        <button type="button" aria-pressed={!grouped} onClick={() => go({ view: undefined, page: 1 })}>
          Items
        </button>
        <button type="button" aria-pressed={grouped} onClick={() => go({ view: 'groups', page: 1 })}>
          Grouped by model and fix
        </button>
      </fieldset>
      <SavedViews
        page="queue"
        path="/queue"
        query={href('', {
          overdue: overdue ? 'true' : undefined,
          decision: decision || undefined,
          accepted: hideAccepted ? 'false' : undefined,
          view: grouped ? 'groups' : undefined,
        })}
      />
      <ErrorMessage error={items.error ?? groups.error} />
      {grouped ? (
        groups.data ? (
          <DataTable
            caption="Queue grouped by model and fix"
            columns={groupColumns}
            rows={groups.data.items}
            rowKey={(g) => g.key}
            rowClass={(g) => (g.overdue ? 'overdue' : undefined)}
            empty="Nothing in the queue."
          />
        ) : (
          <Loading what="groups" />
        )
      ) : items.data ? (
        <>
          <DataTable
            caption="Work queue"
            columns={itemColumns}
            rows={items.data.items}
            rowKey={itemKey}
            rowClass={(i) => (i.overdue ? 'overdue' : undefined)}
            empty="Nothing in the queue."
          />
          <Pager page={page} pageSize={PAGE} total={items.data.total} onPage={(p) => go({ page: p })} />
        </>
      ) : (
        <Loading what="the queue" />
      )}
    </>
  );
}
