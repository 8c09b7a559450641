/**
 * @module The evidence schedules of HHS's proposed HIPAA Security Rule update (NPRM, 90 FR 898,
 * 6 January 2025, RIN 0945-AA22). Proposed, not in force: the rule in force is the one in hipaa.ts, and
 * the paragraph references are those of the proposal, which a final rule may renumber or change. The
 * title and source say so wherever the report shows them.
 */
import type { Framework } from './control.js';

export const HHS_NPRM_SCHEDULES: Framework = {
  id: 'hhs-nprm',
  title: 'HIPAA Security Rule NPRM (January 2025): proposed, not in force',
  source:
    'HHS OCR, HIPAA Security Rule To Strengthen the Cybersecurity of ePHI, notice of proposed rulemaking, 90 FR 898 (2025-01-06); a proposal, not law in force: refs are the proposed paragraphs',
  controls: [
    {
      id: 'nprm-asset-inventory',
      ref: 'proposed §164.308(a)(1)',
      title: 'Technology asset inventory reviewed every 12 months',
      requirement:
        'A written inventory of technology assets that touch ePHI, reviewed and updated at least every 12 months.',
      evidence: ['asset-inventory', 'inventory-review'],
    },
    {
      id: 'nprm-network-map',
      ref: 'proposed §164.308(a)(1)',
      title: 'Network map reviewed every 12 months',
      requirement: 'A network map of how ePHI moves, reviewed and updated at least every 12 months.',
      evidence: ['network-map-review'],
    },
    {
      id: 'nprm-vulnerability-scanning',
      ref: 'proposed §164.312(h)',
      title: 'Vulnerability scanning at least every 6 months',
      requirement: 'Scan for technical vulnerabilities at least every six months.',
      evidence: ['vulnerability-scanning'],
    },
    {
      id: 'nprm-penetration-testing',
      ref: 'proposed §164.312(h)',
      title: 'Penetration testing every 12 months',
      requirement: 'Penetration testing at least once every 12 months (Vigil records none: passive only).',
      evidence: ['penetration-testing'],
    },
    {
      id: 'nprm-patching',
      ref: 'proposed §164.308(a)(4)',
      title: 'Patch management within set time frames',
      requirement: 'Apply patches and updates within the time frames the entity sets by risk.',
      evidence: ['regular-updates'],
    },
    {
      id: 'nprm-segmentation',
      ref: 'proposed §164.312(a)(2)(vi)',
      title: 'Network segmentation',
      requirement: 'Segment the network so that a compromise of one system does not reach the others.',
      evidence: ['segmentation'],
    },
  ],
};
