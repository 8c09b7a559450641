/**
 * @module The security program (`/program/…`): officers, training compliance, manufacturers and their
 * documents, the compliance report and FDA recalls, one sub-page each (program-*.tsx), chosen by the path
 * so each has its own URL. A sub-page the account may not read is neither linked nor shown.
 */
import { SubTabs } from '../components/sub-tabs.js';
import { useLocation } from '../router.js';
import { useCan } from '../session.js';
import { ComplianceTab } from './program-compliance.js';
import { ManufacturersTab } from './program-manufacturers.js';
import { OfficersTab } from './program-officers.js';
import { RecallsTab } from './program-recalls.js';
import { TrainingTab } from './program-training.js';
import './program.css';

const TABS = [
  { href: '/program', label: 'Officers', permission: 'program:read', Tab: OfficersTab },
  { href: '/program/training', label: 'Training', permission: 'program:read', Tab: TrainingTab },
  {
    href: '/program/manufacturers',
    label: 'Manufacturers',
    permission: 'program:read',
    Tab: ManufacturersTab,
  },
  {
    href: '/program/compliance',
    label: 'Compliance report',
    permission: 'reports:read',
    Tab: ComplianceTab,
  },
  { href: '/program/recalls', label: 'Recalls', permission: 'recalls:read', Tab: RecallsTab },
] as const;

export default function ProgramPage() {
  const { path } = useLocation();
  const can = useCan();
  const tabs = TABS.filter((t) => can(t.permission));
  const tab = TABS.find((t) => t.href === path);
  return (
    <div className="program">
      <h1>Security program</h1>
      <SubTabs
        label="Program"
        tabs={tabs.map((t) => ({ href: t.href, label: t.label, current: t === tab }))}
      />
      {!tab ? (
        <p>There is no program page at {path}.</p>
      ) : !can(tab.permission) ? (
        <p className="error" role="alert">
          This page needs the {tab.permission} permission.
        </p>
      ) : (
        <tab.Tab />
      )}
    </div>
  );
}
