/**
 * @module The practices FDA recommends to health care facilities (Safety Communication "Cybersecurity
 * for Medical Devices and Hospital Networks", 13 June 2013; group `safety-communication`, ref
 * `FDA SC 2013`) together with the program practices Vigil was built around (group `program`, ref
 * `Program`: training, a designated officer, manufacturer subscriptions, passwords, encryption in
 * transit). The Safety Communication does not number its recommendations, and the program practices
 * are not FDA's: the refs say which is which rather than inventing FDA numbers.
 */
import type { Framework } from './control.js';

export const FDA_PRACTICES: Framework = {
  id: 'fda',
  title: 'FDA hospital practices and the device security program',
  source:
    'FDA Safety Communication, Cybersecurity for Medical Devices and Hospital Networks (2013-06-13), recommendations to health care facilities (ref FDA SC 2013); the controls with ref Program are Vigil program practices (issue 7), not FDA recommendations',
  controls: [
    {
      id: 'fda-restrict-access',
      ref: 'FDA SC 2013',
      group: 'safety-communication',
      title: 'Restrict unauthorized access',
      requirement: 'Restrict unauthorized access to the network and networked medical devices.',
      evidence: ['access-control', 'segmentation'],
      outside:
        'access restrictions on the devices and the network themselves (network access control, device accounts); Vigil shows its own accounts and the segmentation policy',
    },
    {
      id: 'fda-firewalls',
      ref: 'FDA SC 2013',
      group: 'safety-communication',
      title: 'Firewalls kept up to date',
      requirement:
        'Firewall rules for device segments are approved and reviewed within 12 months (the Safety Communication also asks for up-to-date antivirus software).',
      evidence: ['segmentation'],
      outside: 'antivirus software, which the Safety Communication names with firewalls',
    },
    {
      id: 'fda-monitoring',
      ref: 'FDA SC 2013',
      group: 'safety-communication',
      title: 'Network activity monitored',
      requirement: 'Monitor network activity for unauthorized use and handle what the monitoring raises.',
      evidence: ['network-monitoring', 'incident-handling'],
    },
    {
      id: 'fda-unnecessary-services',
      ref: 'FDA SC 2013',
      group: 'safety-communication',
      title: 'Unnecessary ports and services disabled',
      requirement:
        'Protect network components through routine and periodic evaluation, disabling all unnecessary ports and services.',
      evidence: ['unnecessary-services'],
    },
    {
      id: 'fda-encryption',
      ref: 'Program',
      group: 'program',
      title: 'Encryption in transit',
      requirement: 'Patient data and credentials do not cross the network in cleartext or over weak TLS.',
      evidence: ['encryption-in-transit'],
    },
    {
      id: 'fda-passwords',
      ref: 'Program',
      group: 'program',
      title: 'Password measures',
      requirement:
        'No manufacturer default passwords, no uncontrolled password distribution, failed logins watched.',
      evidence: ['password-measures'],
    },
    {
      id: 'fda-updates',
      ref: 'FDA SC 2013',
      group: 'safety-communication',
      title: 'Regular updates',
      requirement:
        'Security patches are applied within their due dates and verified (the Safety Communication: updating security patches as part of periodic evaluation).',
      evidence: ['regular-updates'],
    },
    {
      id: 'fda-training',
      ref: 'Program',
      group: 'program',
      title: 'Staff training',
      requirement: 'Everyone who touches the network completes cybersecurity training every year.',
      evidence: ['training'],
    },
    {
      id: 'fda-officer',
      ref: 'Program',
      group: 'program',
      title: 'Security officer designated',
      requirement: 'A security officer is designated for the organization and for every site.',
      evidence: ['security-officer'],
    },
    {
      id: 'fda-manufacturers',
      ref: 'Program',
      group: 'program',
      title: 'Manufacturer subscriptions',
      requirement:
        "Follow every manufacturer's security advisories and keep documents (MDS2, SBOM) on file for every model.",
      evidence: ['manufacturer-relations'],
    },
  ],
};
