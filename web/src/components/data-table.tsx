/**
 * @module A table whose sortable column headers are buttons (keyboard operable) and announce their order
 * through aria-sort. Sorting itself happens on the server: the table only reports which column.
 */
import type { ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ReactNode;
  /** The server's sort name for this column, when it can sort by it. */
  sort?: string;
  className?: string;
}

export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort?: string;
  order?: 'asc' | 'desc';
  onSort?: (sort: string, order: 'asc' | 'desc') => void;
  empty?: string;
  rowClass?: (row: T) => string | undefined;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => {
              const active = c.sort !== undefined && c.sort === props.sort;
              const ariaSort = active ? (props.order === 'desc' ? 'descending' : 'ascending') : undefined;
              return (
                <th key={c.key} scope="col" aria-sort={ariaSort} className={c.className}>
                  {c.sort && props.onSort ? (
                    <button
                      type="button"
                      className="sort"
                      onClick={() =>
                        props.onSort?.(c.sort!, active && props.order === 'asc' ? 'desc' : 'asc')
                      }
                    >
                      {c.label}
                      <span aria-hidden="true">{active ? (props.order === 'desc' ? ' ▼' : ' ▲') : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} className="muted">
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          ) : (
            props.rows.map((r) => (
              <tr key={props.rowKey(r)} className={props.rowClass?.(r)}>
                {props.columns.map((c) => (
                  <td key={c.key} className={c.className}>
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
