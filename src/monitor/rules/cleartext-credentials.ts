/**
 * @module Rule `cleartext-credentials`: a login (Telnet, FTP, HTTP Basic, SNMP community …) sent in cleartext; the secret itself is never stored.
 */
import { findingRule } from './finding-rule.js';

export const cleartextCredentialsRule = findingRule({
  id: 'cleartext-credentials',
  finding: 'cleartext-credentials',
  description:
    'a login (Telnet, FTP, HTTP Basic, SNMP community …) sent in cleartext; the secret itself is never stored.',
});
