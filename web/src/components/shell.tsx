/**
 * @module The frame around every page: a skip link, the navigation (only the pages the account may
 * see), who is signed in (a link to their account page: change password), and the log-out button.
 */
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, useLocation } from '../router.js';
import { useCan, useSession } from '../session.js';

const NAV: { href: string; label: string; permission: string }[] = [
  { href: '/', label: 'Overview', permission: 'devices:read' },
  { href: '/inventory', label: 'Inventory', permission: 'devices:read' },
  { href: '/vulnerabilities', label: 'Vulnerabilities', permission: 'vulns:read' },
  { href: '/queue', label: 'Work queue', permission: 'risk:read' },
  { href: '/tasks', label: 'Tasks', permission: 'tasks:read' },
  { href: '/alerts', label: 'Alerts', permission: 'alerts:read' },
  // `a|b`: either permission shows the entry.
  { href: '/network', label: 'Network', permission: 'monitor:read|policy:read' },
  { href: '/program', label: 'Program', permission: 'program:read' },
  { href: '/import', label: 'Import', permission: 'devices:import|advisories:write' },
  { href: '/admin', label: 'Admin', permission: 'users:read|tokens:read|audit:read' },
];

export function Shell({ children }: { children: ReactNode }) {
  const { session, logout } = useSession();
  const can = useCan();
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  // After navigating, move focus to the page so keyboard and screen-reader users start at its heading.
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every navigation
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  const current = (href: string) =>
    href === '/'
      ? path === '/'
      : path === href ||
        path.startsWith(`${href}/`) ||
        (href === '/inventory' && path.startsWith('/devices/'));
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Vigil</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.permission.split('|').some(can)).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <Link href="/account" aria-current={path === '/account' ? 'page' : undefined}>
            {session.name}
          </Link>
          {session.role ? ` (${session.role})` : ''}
        </span>
        <button type="button" onClick={logout}>
          Log out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
