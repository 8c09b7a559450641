/**
 * @module How serious a finding is, given the device it is about. Each type has a base severity; a device
 * that keeps a patient alive, or that stores or transmits ePHI, raises exposures that touch it by one
 * level, because the same cleartext login matters more on a ventilator than on a printer.
 */
import { isInferredAnyAeTitle } from './dicom-any-ae.js';
import type { FindingType } from './host-observation.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const BASE: Record<FindingType, Severity> = {
  'cleartext-phi': 'high',
  'cleartext-credentials': 'high',
  'insecure-protocol': 'medium',
  'weak-tls': 'medium',
  'certificate-problem': 'low',
  'failed-login': 'medium',
  'default-credentials': 'critical',
  'unnecessary-service': 'medium',
};

const TITLES: Record<FindingType, string> = {
  'cleartext-phi': 'Patient data sent without encryption',
  'cleartext-credentials': 'Credentials sent in cleartext',
  'insecure-protocol': 'Insecure or unnecessary protocol in use',
  'weak-tls': 'Weak TLS version or cipher suite',
  'certificate-problem': 'Problem with a TLS certificate',
  'failed-login': 'Repeated failed logins over a cleartext protocol',
  'default-credentials': "Manufacturer's default credentials in use",
  'unnecessary-service': 'Service not needed by the device model',
};

export interface DeviceContext {
  criticality: string | null;
  ephi: boolean | null;
}

/**
 * A finding's de-duplication key (`findings.dedup_key`): one finding per type, device and subject however
 * often it is seen. Every writer builds it here, so a merge can say what a finding's key is on another device.
 */
export function findingKey(type: string, deviceId: string, subject: string): string {
  return `${type}|${deviceId}|${subject}`;
}

export function findingTitle(type: FindingType, subject: string): string {
  return `${TITLES[type]} (${subject})`;
}

export function findingSeverity(
  type: FindingType,
  device: DeviceContext,
  details: Record<string, unknown> = {},
): Severity {
  let level = SEVERITIES.indexOf(BASE[type]);
  // An expired certificate breaks clients today; a weak key or a self-signed one is a standing risk.
  if (type === 'certificate-problem' && details['expired'] === true) level++;
  // A DICOM SCP seen accepting several called titles may accept any, or may have several of its own.
  if (type === 'insecure-protocol' && isInferredAnyAeTitle(details)) level--;
  const lifeCritical = device.criticality === 'life-sustaining' || device.criticality === 'life-supporting';
  const handlesPhi = device.ephi === true;
  if (lifeCritical || (handlesPhi && type !== 'certificate-problem')) level++;
  return SEVERITIES[Math.min(level, SEVERITIES.length - 1)]!;
}
