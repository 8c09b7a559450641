/**
 * @module The whole control catalogue, one framework per file.
 */
import type { Framework, FrameworkId } from './control.js';
import { FDA_PRACTICES } from './fda.js';
import { HHS_NPRM_SCHEDULES } from './hhs-nprm.js';
import { HIPAA_SECURITY_RULE } from './hipaa.js';
import { HPH_CPGS } from './hph-cpg.js';
import { NIST_CSF } from './nist-csf.js';

export const CATALOGUE: readonly Framework[] = [
  FDA_PRACTICES,
  HIPAA_SECURITY_RULE,
  HHS_NPRM_SCHEDULES,
  HPH_CPGS,
  NIST_CSF,
];

export function frameworksOf(ids?: readonly FrameworkId[]): Framework[] {
  return CATALOGUE.filter((f) => !ids?.length || ids.includes(f.id));
}

export * from './control.js';
