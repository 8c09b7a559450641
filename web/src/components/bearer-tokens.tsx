/**
 * @module What the API-token and SCIM-token pages share: the box that shows a new token's secret once,
 * and the "Revoke token …" column.
 */
import { useId } from 'react';
import type { Column } from './data-table.js';

/** A secret Vigil keeps only the hash of: shown in this box right after creation and never again. */
export function OneTimeSecret(props: {
  title: string;
  notice: string;
  label: string;
  secret: string;
  onDone: () => void;
}) {
  const titleId = useId();
  return (
    <section className="secret" aria-labelledby={titleId}>
      <h2 id={titleId} className="h3">
        {props.title}
      </h2>
      <p role="status">{props.notice}</p>
      <p>
        {props.label}: <code className="token-secret">{props.secret}</code>
      </p>
      <button type="button" onClick={props.onDone}>
        I have copied it
      </button>
    </section>
  );
}

/** The Actions column: "Revoke token NAME" while the token is not revoked, else a dash. */
export function revokeColumn<T extends { id: string; name: string; revokedAt: string | null }>(
  revoke: (id: string) => void,
): Column<T> {
  return {
    key: 'act',
    label: 'Actions',
    render: (t) =>
      t.revokedAt ? (
        '—'
      ) : (
        <button type="button" onClick={() => revoke(t.id)}>
          Revoke token {t.name}
        </button>
      ),
  };
}
