/**
 * @module Roles and their permissions (GET /roles): what each role is for, and a permission × role
 * matrix with what every permission allows. Roles are fixed in code (src/accounts/permissions.ts).
 */
import { plural } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { useLoad } from '../router.js';

export function RolesTab() {
  const roles = useLoad(() => ok(api().roles.$get()), []);
  if (roles.error) return <ErrorMessage error={roles.error} />;
  if (!roles.data) return <Loading what="roles" />;
  const { roles: list, permissions } = roles.data;
  return (
    <>
      <h1>Roles</h1>
      <p className="muted">
        Roles are part of Vigil's code (docs/roles.md); an account has one role, an API token a subset of its
        owner's permissions. Change an account's role on the Users page.
      </p>
      <dl className="facts">
        {list.map((r) => (
          <div key={r.name}>
            <dt>{r.name}</dt>
            <dd>
              {r.description} ({plural(r.permissions.length, 'permission')})
            </dd>
          </div>
        ))}
      </dl>
      <div className="table-wrap">
        <table className="matrix">
          <caption className="visually-hidden">Permissions by role</caption>
          <thead>
            <tr>
              <th scope="col">Permission</th>
              <th scope="col">Allows</th>
              {list.map((r) => (
                <th key={r.name} scope="col">
                  {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {permissions.map((p) => (
              <tr key={p.name}>
                <th scope="row">
                  <code>{p.name}</code>
                </th>
                <td>{p.description}</td>
                {list.map((r) => {
                  const has = r.permissions.includes(p.name);
                  return (
                    <td key={r.name} className="yes">
                      <span aria-hidden="true">{has ? '✓' : '—'}</span>
                      <span className="visually-hidden">{has ? 'yes' : 'no'}</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
