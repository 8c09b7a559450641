/**
 * @module Rule `weak-tls`: TLS below 1.2, or a weak or export cipher suite, negotiated by a device.
 */
import { findingRule } from './finding-rule.js';

export const weakTlsRule = findingRule({
  id: 'weak-tls',
  finding: 'weak-tls',
  description: 'TLS below 1.2, or a weak or export cipher suite, negotiated by a device.',
});
