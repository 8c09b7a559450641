/**
 * @module What every rendered report says about its own statuses, so that an auditor reading the HTML
 * or the PDF (not only docs/compliance.md) knows how far "met" reaches and which frameworks bind.
 */
export const REPORT_NOTICE =
  'Statuses come from the evidence Vigil holds: the medical devices it inventories, the traffic it observes and Vigil itself. ' +
  'They are not an attestation of compliance: a control whose requirement reaches beyond that evidence is at most partial, and its reason says what Vigil does not show; ' +
  '"no evidence" means Vigil holds none, not that the control fails. ' +
  'The HHS NPRM is a proposed rule, not in force; the HPH CPGs and NIST CSF are voluntary.';
