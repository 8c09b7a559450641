/**
 * @module Rule `failed-login`: repeated failed logins in cleartext protocols (Telnet, FTP, HTTP Basic) against a device.
 */
import { findingRule } from './finding-rule.js';

export const failedLoginRule = findingRule({
  id: 'failed-login',
  finding: 'failed-login',
  description: 'repeated failed logins in cleartext protocols (Telnet, FTP, HTTP Basic) against a device.',
});
