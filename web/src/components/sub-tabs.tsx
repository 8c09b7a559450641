/**
 * @module The tab row of an area with sub-pages (Network, Program, Admin): links, so each sub-page has
 * its own URL, with `aria-current="page"` on the one shown.
 */
import type { ReactNode } from 'react';
import { Link } from '../router.js';

export function SubTabs(props: {
  /** Names the navigation landmark ("Network", "Program", "Admin"). */
  label: string;
  tabs: readonly { href: string; label: string; current: boolean }[];
  /** Further list items after the tabs (e.g. a link to another page). */
  children?: ReactNode;
}) {
  return (
    <nav aria-label={props.label} className="sub-tabs">
      <ul>
        {props.tabs.map((t) => (
          <li key={t.href}>
            <Link href={t.href} aria-current={t.current ? 'page' : undefined}>
              {t.label}
            </Link>
          </li>
        ))}
        {props.children}
      </ul>
    </nav>
  );
}
