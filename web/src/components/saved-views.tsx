/**
 * @module Saved views of one dashboard page (GET/POST/DELETE /saved-views): named filter sets kept on the
 * server, the account's own and everyone's shared ones, each a link to the page with its query; "Save
 * current filters as" (optionally shared with the team) stores the page's current filters; × removes a
 * view the account may remove. Shown only with devices:read, which the API asks for.
 */
import { type FormEvent, useId, useState } from 'react';
import type { SavedViewPage } from '../../../src/accounts/saved-views.js';
import { api, ok } from '../api.js';
import { Link, useLoad } from '../router.js';
import { useCan, useSession } from '../session.js';
import { ErrorMessage, TextField } from './ui.js';

export interface SavedViewsProps {
  /** The page the views belong to (the API's `page`). */
  page: SavedViewPage;
  /** The page's path; a view links to `path?query`. */
  path: string;
  /** The page's current filters as a URL query (a leading '?' is fine): what "Save view" stores. */
  query: string;
  /** Runs before each load of the list (the inventory moves views a browser kept locally). */
  before?: () => Promise<void>;
}

export function SavedViews(props: SavedViewsProps) {
  const can = useCan();
  return can('devices:read') ? <SavedViewsSection {...props} /> : null;
}

function SavedViewsSection({ page, path, query, before }: SavedViewsProps) {
  const { session } = useSession();
  const saved = useLoad(async () => {
    await before?.();
    return (await ok(api()['saved-views'].$get({ query: { page } }))).items;
  }, [page]);
  const [viewName, setViewName] = useState('');
  const [share, setShare] = useState(false);
  const [viewError, setViewError] = useState<unknown>(null);
  const savedId = useId();
  const saveView = async (e: FormEvent) => {
    e.preventDefault();
    const name = viewName.trim();
    if (!name) return;
    setViewError(null);
    try {
      await ok(api()['saved-views'].$post({ json: { page, name, query, shared: share } }));
      setViewName('');
      setShare(false);
      saved.reload();
    } catch (err) {
      setViewError(err);
    }
  };
  const removeView = async (id: string) => {
    setViewError(null);
    try {
      await ok(api()['saved-views'][':id'].$delete({ param: { id } }));
      saved.reload();
    } catch (err) {
      setViewError(err);
    }
  };

  return (
    <section className="saved" aria-labelledby={savedId}>
      <h2 id={savedId} className="h3">
        Saved views
      </h2>
      <ErrorMessage error={viewError ?? saved.error} />
      {saved.data && saved.data.length > 0 && (
        <ul className="inline-list">
          {saved.data.map((v) => (
            <li key={v.id}>
              <Link href={v.query ? `${path}?${v.query}` : path}>{v.name}</Link>
              {v.owner !== session.name ? (
                <span className="muted"> (shared by {v.owner})</span>
              ) : (
                v.shared && <span className="muted"> (shared)</span>
              )}{' '}
              {v.removable && (
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove saved view ${v.name}${v.owner !== session.name ? ` of ${v.owner}` : ''}`}
                  onClick={() => removeView(v.id)}
                >
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={saveView} className="inline-form" aria-label="Save this view">
        <TextField label="Save current filters as" name="viewName" value={viewName} onChange={setViewName} />
        <label>
          <input type="checkbox" checked={share} onChange={(e) => setShare(e.target.checked)} /> Share with
          team
        </label>
        <button type="submit">Save view</button>
      </form>
    </section>
  );
}
