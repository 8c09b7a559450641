/**
 * @module The practices FDA recommends to hospitals (Safety Communication "Cybersecurity for Medical
 * Devices and Hospital Networks", June 2013) together with the program practices Vigil was built around
 * (training, a designated officer, manufacturer subscriptions, passwords, encryption in transit).
 */
import type { Framework } from './control.js';

export const FDA_PRACTICES: Framework = {
  id: 'fda',
  title: 'FDA hospital practices and the device security program',
  source:
    'FDA Safety Communication, Cybersecurity for Medical Devices and Hospital Networks (2013-06-13); Vigil program practices (issue 7)',
  controls: [
    {
      id: 'fda-restrict-access',
      ref: 'FDA-1',
      title: 'Restrict unauthorized access',
      requirement:
        'Restrict unauthorized access to the network and networked medical devices (accounts, roles, segmentation).',
      evidence: ['access-control', 'segmentation'],
    },
    {
      id: 'fda-firewalls',
      ref: 'FDA-2',
      title: 'Firewalls kept up to date',
      requirement: 'Firewall rules for device segments are approved and reviewed recently.',
      evidence: ['segmentation'],
    },
    {
      id: 'fda-monitoring',
      ref: 'FDA-3',
      title: 'Network activity monitored',
      requirement: 'Monitor network activity for unauthorized use and handle what the monitoring raises.',
      evidence: ['network-monitoring', 'incident-handling'],
    },
    {
      id: 'fda-unnecessary-services',
      ref: 'FDA-4',
      title: 'Unnecessary ports and services disabled',
      requirement: 'Evaluate devices periodically and disable every port and service they do not need.',
      evidence: ['unnecessary-services'],
    },
    {
      id: 'fda-encryption',
      ref: 'FDA-5',
      title: 'Encryption in transit',
      requirement: 'Patient data and credentials do not cross the network in cleartext or over weak TLS.',
      evidence: ['encryption-in-transit'],
    },
    {
      id: 'fda-passwords',
      ref: 'FDA-6',
      title: 'Password measures',
      requirement:
        'No manufacturer default passwords, no uncontrolled password distribution, failed logins watched.',
      evidence: ['password-measures'],
    },
    {
      id: 'fda-updates',
      ref: 'FDA-7',
      title: 'Regular updates',
      requirement: 'Security patches are applied within their due dates and verified.',
      evidence: ['regular-updates'],
    },
    {
      id: 'fda-training',
      ref: 'FDA-8',
      title: 'Staff training',
      requirement: 'Everyone who touches the network completes cybersecurity training every year.',
      evidence: ['training'],
    },
    {
      id: 'fda-officer',
      ref: 'FDA-9',
      title: 'Security officer designated',
      requirement: 'A security officer is designated for the organization and for every site.',
      evidence: ['security-officer'],
    },
    {
      id: 'fda-manufacturers',
      ref: 'FDA-10',
      title: 'Manufacturer subscriptions',
      requirement:
        "Follow every manufacturer's security advisories and keep documents (MDS2, SBOM) on file for every model.",
      evidence: ['manufacturer-relations'],
    },
  ],
};
