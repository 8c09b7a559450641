/**
 * @module The network page (`/network/…`): the communication map, the segmentation policy matrix,
 * its simulation, the firewall export and the remote sensors' health, one sub-page each chosen by the path (so each has a URL), and
 * a link to the alerts page, which already lists alerts with their states. The site filter is in the
 * query string and shared by the sub-pages. A sub-page the account may not read is neither linked nor
 * shown.
 */
import { api, ok } from '../api.js';
import { SubTabs } from '../components/sub-tabs.js';
import { SelectField } from '../components/ui.js';
import { href, Link, navigate, useLoad, useLocation } from '../router.js';
import { useCan } from '../session.js';
import { NetworkMapTab } from './network-map.js';
import { ExportTab, PolicyTab, SimulationTab } from './network-policy.js';
import { SensorsTab } from './network-sensors.js';
import './network.css';

const TABS = [
  { href: '/network', label: 'Map', permission: 'monitor:read', Tab: NetworkMapTab },
  { href: '/network/policy', label: 'Policy', permission: 'policy:read', Tab: PolicyTab },
  { href: '/network/simulation', label: 'Simulation', permission: 'policy:read', Tab: SimulationTab },
  { href: '/network/export', label: 'Firewall export', permission: 'policy:read', Tab: ExportTab },
  { href: '/network/sensors', label: 'Sensors', permission: 'monitor:read', Tab: SensorsTab },
] as const;

export default function NetworkPage() {
  const { path, query } = useLocation();
  const can = useCan();
  const site = query.get('site') ?? '';
  const sites = useLoad(() => (can('sites:read') ? ok(api().sites.$get()) : Promise.resolve(undefined)), []);
  const tabs = TABS.filter((t) => can(t.permission));
  const tab = TABS.find((t) => t.href === path);
  // Each sub-page puts the site filter in its own toolbar, so the filters take one row on a laptop screen.
  const siteField =
    sites.data && sites.data.length > 0 ? (
      <SelectField
        label="Site"
        name="site"
        value={site}
        empty="every site"
        options={sites.data.map((s) => ({ value: s.id, label: s.name }))}
        onChange={(v) => navigate(href(path, { site: v }))}
      />
    ) : null;
  return (
    <>
      <h1>Network</h1>
      <SubTabs
        label="Network"
        tabs={tabs.map((t) => ({ href: href(t.href, { site }), label: t.label, current: t === tab }))}
      >
        {can('alerts:read') && (
          <li>
            <Link href={href('/alerts', { state: 'new' })}>Alerts</Link>
          </li>
        )}
      </SubTabs>
      {!tab ? (
        <p>There is no network page at {path}.</p>
      ) : !can(tab.permission) ? (
        <p className="error" role="alert">
          This page needs the {tab.permission} permission.
        </p>
      ) : (
        <tab.Tab key={site} site={site} siteField={siteField} />
      )}
    </>
  );
}
