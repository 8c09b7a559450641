/**
 * @module Rule `default-credentials`: a manufacturer's default credentials accepted by a device.
 */
import { findingRule } from './finding-rule.js';

export const defaultCredentialsRule = findingRule({
  id: 'default-credentials',
  finding: 'default-credentials',
  description: "a manufacturer's default credentials accepted by a device.",
});
