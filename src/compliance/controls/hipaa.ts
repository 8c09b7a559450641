/**
 * @module HIPAA Security Rule administrative (45 CFR §164.308), physical (§164.310) and technical
 * (§164.312) safeguards that Vigil holds evidence for. References as the eCFR designates the paragraph:
 * a standard where the rule states it ((a)(5)(i), (b) …), an implementation specification by its own
 * paragraph, titled with the rule's "(required)" or "(addressable)" as in the rule in force today (the
 * 2025 NPRM would remove the distinction; it is proposed, not law). Of the physical safeguards only
 * device and media controls: medical devices are the hardware that holds ePHI; facility access and
 * workstations are outside what Vigil sees.
 */
import type { Framework } from './control.js';

export const HIPAA_SECURITY_RULE: Framework = {
  id: 'hipaa',
  title: 'HIPAA Security Rule (45 CFR Part 164 Subpart C)',
  source:
    '45 CFR §164.308 Administrative safeguards, §164.310 Physical safeguards and §164.312 Technical safeguards (eCFR)',
  controls: [
    {
      id: 'hipaa-164.308-a-1-ii-A',
      ref: '§164.308(a)(1)(ii)(A)',
      title: 'Risk analysis (required)',
      requirement:
        'An accurate and thorough assessment of the potential risks and vulnerabilities to the confidentiality, integrity and availability of ePHI.',
      evidence: ['asset-inventory', 'risk-analysis'],
      outside:
        'the risk analysis of every other system that holds ePHI (EHR, servers, workstations, cloud services); Vigil covers the medical devices it inventories',
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-1-ii-B',
      ref: '§164.308(a)(1)(ii)(B)',
      title: 'Risk management (required)',
      requirement:
        'Security measures sufficient to reduce risks and vulnerabilities to a reasonable and appropriate level.',
      evidence: ['risk-analysis', 'regular-updates'],
      outside: 'risk management for systems other than the medical devices Vigil inventories',
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-1-ii-D',
      ref: '§164.308(a)(1)(ii)(D)',
      title: 'Information system activity review (required)',
      requirement:
        'Regularly review records of information system activity, such as audit logs, access reports and security incident tracking reports.',
      evidence: ['audit-controls', 'network-monitoring'],
      outside:
        'that people regularly review the records (Vigil shows its audit log intact and monitoring running, not a review), and the activity records of other systems',
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-2',
      ref: '§164.308(a)(2)',
      title: 'Assigned security responsibility',
      requirement: 'Identify the security official responsible for the security policies and procedures.',
      evidence: ['security-officer'],
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-5',
      ref: '§164.308(a)(5)(i)',
      title: 'Security awareness and training',
      requirement: 'A security awareness and training program for all members of the workforce.',
      evidence: ['training'],
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-5-ii-D',
      ref: '§164.308(a)(5)(ii)(D)',
      title: 'Password management (addressable)',
      requirement: 'Procedures for creating, changing and safeguarding passwords.',
      evidence: ['password-measures'],
      outside:
        'the written procedures for creating, changing and safeguarding passwords; Vigil sees default and cleartext credentials on the network and enforces its own password policy',
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-6',
      // The standard (a)(6)(i) asks for policies and procedures; its one specification, (ii) Response and
      // reporting, is what alerts and their handling can show.
      ref: '§164.308(a)(6)(ii)',
      title: 'Security incident procedures: response and reporting (required)',
      requirement:
        'Identify and respond to suspected or known security incidents, mitigate their harmful effects, and document them and their outcomes.',
      evidence: ['incident-handling'],
      outside: 'incidents that raise no Vigil alert, and the incident response procedures themselves',
      group: 'administrative',
    },
    {
      id: 'hipaa-164.308-a-8',
      ref: '§164.308(a)(8)',
      title: 'Evaluation',
      requirement: 'Periodic technical and nontechnical evaluation of how well the safeguards hold.',
      evidence: ['vulnerability-scanning', 'inventory-review'],
      outside: 'the nontechnical evaluation of the security policies and procedures against the rule',
      group: 'administrative',
    },
    {
      // (2)(i) Disposal (R) and (ii) Media re-use (R): sanitization records; (iii) Accountability (A):
      // the inventory says where each device is and who owns it. (iv) Backup is not Vigil's to show.
      id: 'hipaa-164.310-d-1',
      ref: '§164.310(d)(1)',
      title: 'Device and media controls',
      requirement:
        'Remove ePHI from devices and media before disposal or re-use, and keep a record of where the hardware is.',
      evidence: ['device-disposal', 'asset-inventory'],
      outside:
        '(d)(2)(iv) data backup and storage (addressable), and hardware and media other than the devices in the inventory',
      group: 'physical',
    },
    {
      id: 'hipaa-164.312-a-1',
      ref: '§164.312(a)(1)',
      title: 'Access control',
      requirement: 'Allow access to systems holding ePHI only to the people and programs granted it.',
      evidence: ['access-control', 'segmentation'],
      outside:
        'access control in the systems that hold ePHI (device, EHR and PACS accounts); Vigil shows its own accounts and the segmentation of device networks',
      group: 'technical',
    },
    {
      id: 'hipaa-164.312-b',
      ref: '§164.312(b)',
      title: 'Audit controls',
      requirement: 'Mechanisms that record and examine activity in systems that contain or use ePHI.',
      evidence: ['audit-controls'],
      outside: 'audit controls in the systems that contain or use ePHI; Vigil shows its own audit log',
      group: 'technical',
    },
    {
      id: 'hipaa-164.312-c-1',
      ref: '§164.312(c)(1)',
      title: 'Integrity',
      requirement: 'Protect ePHI from improper alteration or destruction.',
      evidence: ['audit-controls', 'encryption-in-transit'],
      outside: 'integrity protection of ePHI stored in the systems that hold it',
      group: 'technical',
    },
    {
      id: 'hipaa-164.312-d',
      ref: '§164.312(d)',
      title: 'Person or entity authentication',
      requirement: 'Verify that a person or entity seeking access to ePHI is the one claimed.',
      evidence: ['access-control', 'password-measures'],
      outside:
        'authentication in the systems that hold ePHI beyond the default and cleartext credentials Vigil sees on the network; Vigil shows its own accounts',
      group: 'technical',
    },
    {
      id: 'hipaa-164.312-e-1',
      ref: '§164.312(e)(1)',
      title: 'Transmission security',
      requirement: 'Guard against unauthorized access to ePHI transmitted over a network.',
      evidence: ['encryption-in-transit'],
      outside: 'transmissions Vigil does not observe (networks without a sensor, remote and cloud links)',
      group: 'technical',
    },
  ],
};
