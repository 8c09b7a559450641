/**
 * @module The MDS2 form (Manufacturer Disclosure Statement for Medical Device Security, ANSI/NEMA HN 1-2019):
 * its sections, the DOC questions answered with text, and the shapes the reader produces.
 * @see ANSI/NEMA HN 1-2019 (MDS2), question ids as published on the form: DOC-1 "Manufacturer Name",
 * DOC-3 "Device Model", DOC-4 "Document ID", DOC-7 "Document Release Date", MLDP-1, AUTH-1, CONN-2 …
 */

/** The sections of the 2019 form, by question-id prefix, with the form's own titles. */
export const MDS2_SECTIONS: Record<string, string> = {
  DOC: 'Document information',
  MPII: 'Management of personally identifiable information',
  ALOF: 'Automatic logoff',
  AUDT: 'Audit controls',
  AUTH: 'Authorization',
  CSUP: 'Cyber security product upgrades',
  DIDT: 'Health data de-identification',
  DTBK: 'Data backup and disaster recovery',
  EMRG: 'Emergency access',
  IGAU: 'Health data integrity and authenticity',
  MLDP: 'Malware detection/protection',
  NAUT: 'Node authentication',
  CONN: 'Connectivity capabilities',
  PAUT: 'Person authentication',
  PLOK: 'Physical locks',
  RDMP: 'Roadmap for third party components in device life cycle',
  SBOM: 'Software bill of materials',
  SAHD: 'System and application hardening',
  SGUD: 'Security guidance',
  STCF: 'Health data storage confidentiality',
  TXCF: 'Transmission confidentiality',
  TXIG: 'Transmission integrity',
  RMOT: 'Remote service',
};

/** DOC questions answered with text (names, dates), not Yes/No/N/A. */
export const TEXT_QUESTIONS = new Set(['DOC-1', 'DOC-2', 'DOC-3', 'DOC-4', 'DOC-5', 'DOC-6', 'DOC-7']);

/** `see-note`: the answer cell says "See note"; `text`: a DOC answer; null: left blank. */
export type Mds2AnswerValue = 'yes' | 'no' | 'n/a' | 'see-note' | 'text' | null;

export interface Mds2Item {
  /** Upper-case, as on the form: `AUTH-1.1`. */
  questionId: string;
  /** The id's prefix: `AUTH`. */
  section: string;
  question: string | null;
  answer: Mds2AnswerValue;
  /** The answer cell as written (trimmed), e.g. `Yes` or the manufacturer's name for DOC-1. */
  value: string | null;
  note: string | null;
  /** 1-based row in the sheet. */
  row: number;
}

export interface Mds2Form {
  sheet: string;
  headerRow: number;
  items: Mds2Item[];
  /** DOC-1, DOC-2, DOC-3, DOC-4 and DOC-7 (an ISO date when it reads as one). */
  manufacturer: string | null;
  description: string | null;
  model: string | null;
  formId: string | null;
  releaseDate: string | null;
}
