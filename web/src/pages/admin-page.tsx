/**
 * @module The admin area (`/admin/…`): users, roles, API tokens, SCIM provisioning, the audit log,
 * settings and advisory subscriptions, one sub-page each with its own URL. A sub-page the account may
 * not read is neither linked nor shown; `/admin` opens the first one it may.
 */
import { useEffect } from 'react';
import { SubTabs } from '../components/sub-tabs.js';
import { navigate, useLocation } from '../router.js';
import { useCan } from '../session.js';
import { RolesTab } from './admin-roles.js';
import { ScimTab } from './admin-scim.js';
import { SettingsTab } from './admin-settings.js';
import { SubscriptionsTab } from './admin-subscriptions.js';
import { TokensTab } from './admin-tokens.js';
import AuditPage from './audit-page.js';
import UsersPage from './users-page.js';
import './admin.css';

const TABS = [
  { href: '/admin/users', label: 'Users', permission: 'users:read', Tab: UsersPage },
  { href: '/admin/roles', label: 'Roles', permission: 'users:read', Tab: RolesTab },
  { href: '/admin/tokens', label: 'API tokens', permission: 'tokens:read', Tab: TokensTab },
  // Only for those who may make a token: the page's one job is to set provisioning up.
  { href: '/admin/scim', label: 'Provisioning (SCIM)', permission: 'users:write', Tab: ScimTab },
  { href: '/admin/audit', label: 'Audit log', permission: 'audit:read', Tab: AuditPage },
  { href: '/admin/settings', label: 'Settings', permission: 'system:read', Tab: SettingsTab },
  {
    href: '/admin/subscriptions',
    label: 'Advisory subscriptions',
    permission: 'advisories:read',
    Tab: SubscriptionsTab,
  },
] as const;

export default function AdminPage() {
  const { path } = useLocation();
  const can = useCan();
  const allowed = TABS.filter((t) => can(t.permission));
  const tab = TABS.find((t) => t.href === path);
  const first = allowed[0]?.href;
  useEffect(() => {
    if (path === '/admin' && first) navigate(first, { replace: true });
  }, [path, first]);
  return (
    <>
      <SubTabs
        label="Admin"
        tabs={allowed.map((t) => ({ href: t.href, label: t.label, current: t.href === path }))}
      />
      {tab ? (
        // Pages opened by URL without the permission still load: the API's 403 says what is missing.
        <tab.Tab />
      ) : path === '/admin' ? (
        allowed.length === 0 && <p>Your role has no admin pages.</p>
      ) : (
        <>
          <h1>Not found</h1>
          <p>There is no admin page at {path}.</p>
        </>
      )}
    </>
  );
}
