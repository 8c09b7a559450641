/**
 * @module Rule `insecure-protocol`: an insecure protocol (Telnet, FTP, TFTP, SNMPv1/v2c, SMBv1 …) in use by a device.
 */
import { findingRule } from './finding-rule.js';

export const insecureProtocolRule = findingRule({
  id: 'insecure-protocol',
  finding: 'insecure-protocol',
  description: 'an insecure protocol (Telnet, FTP, TFTP, SNMPv1/v2c, SMBv1 …) in use by a device.',
});
