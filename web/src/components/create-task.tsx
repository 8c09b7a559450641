/**
 * @module "Create task" for one work-queue item (POST /tasks, tasks:write), used by the queue and the
 * device page. The outcome shows in place of the button, in the row that was clicked: a page-wide
 * message at the top would be out of sight for a row far down a long queue. Focus moves to it, so a
 * keyboard user stays in the row rather than being sent back to the top of the page.
 */
import { useEffect, useRef, useState } from 'react';
import { api, ok } from '../api.js';
import { href, Link } from '../router.js';

export interface TaskItem {
  kind: 'vulnerability' | 'finding';
  deviceId: string;
  deviceLabel: string;
  vulnerability: string | null;
  cve: string | null;
  findingId: string | null;
  title: string | null;
}

type Outcome = { taskId: string; title: string } | { error: string };

export function CreateTaskButton(props: { item: TaskItem; onCreated?: () => void }) {
  const i = props.item;
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  // The button goes away once the task exists: keep keyboard focus in the row, on what replaced it.
  const done = useRef<HTMLSpanElement>(null);
  const created = outcome !== null && 'taskId' in outcome;
  useEffect(() => {
    if (created) done.current?.focus();
  }, [created]);
  const create = async () => {
    setBusy(true);
    try {
      const body =
        i.kind === 'finding'
          ? { finding: i.findingId ?? '' }
          : { device: i.deviceId, vulnerability: i.vulnerability ?? '' };
      const task = await ok(api().tasks.$post({ json: body }));
      setOutcome({ taskId: task.id, title: task.title });
      props.onCreated?.();
    } catch (e) {
      setOutcome({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  if (outcome && 'taskId' in outcome)
    return (
      <span role="status" tabIndex={-1} ref={done}>
        Task created: <Link href={href('/tasks', { task: outcome.taskId })}>{outcome.title}</Link>
      </span>
    );
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={create}
        aria-label={`Create a task for ${i.cve ?? i.vulnerability ?? i.title} on ${i.deviceLabel}`}
      >
        Create task
      </button>
      {outcome && (
        <p className="error" role="alert">
          {outcome.error}
        </p>
      )}
    </>
  );
}
