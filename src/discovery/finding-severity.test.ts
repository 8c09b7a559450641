import { describe, expect, it } from 'vitest';
import { findingSeverity, findingTitle } from './finding-severity.js';

const office = { criticality: 'non-clinical', ephi: false };

describe('finding severity', () => {
  it('starts from the type', () => {
    expect(findingSeverity('cleartext-phi', office)).toBe('high');
    expect(findingSeverity('insecure-protocol', office)).toBe('medium');
    expect(findingSeverity('certificate-problem', office)).toBe('low');
  });

  it('raises exposures of life-critical and ePHI devices by one level, up to critical', () => {
    expect(findingSeverity('insecure-protocol', { criticality: 'life-sustaining', ephi: null })).toBe('high');
    expect(findingSeverity('cleartext-credentials', { criticality: 'life-supporting', ephi: true })).toBe(
      'critical',
    );
    expect(findingSeverity('weak-tls', { criticality: null, ephi: true })).toBe('high');
  });

  it('treats an expired certificate as worse than a weak one', () => {
    expect(findingSeverity('certificate-problem', office, { expired: true })).toBe('medium');
    expect(findingTitle('weak-tls', 'tls:TLSv1.0')).toBe('Weak TLS version or cipher suite (tls:TLSv1.0)');
  });

  it('puts a DICOM SCP seen accepting several called titles one level below a confirmed any-AE-title SCP', () => {
    const pacs = { criticality: 'non-clinical', ephi: true };
    expect(findingSeverity('insecure-protocol', office, { detection: 'several-called-titles' })).toBe('low');
    expect(findingSeverity('insecure-protocol', pacs, { detection: 'several-called-titles' })).toBe('medium');
    expect(findingSeverity('insecure-protocol', office, { detection: 'association' })).toBe('medium');
    expect(findingSeverity('insecure-protocol', office, { detection: 'dicom-ping' })).toBe('medium');
  });
});
