/**
 * @module Test helper: builds an MDS2 workbook in the published layout with exceljs (no machine-readable
 * filled form is public; see test/fixtures/mds2/PROVENANCE.md). The question ids and texts are those of
 * the ANSI/NEMA HN 1-2019 form, as a manufacturer's filled form published them (MediCapture MVR/MTR MDS2,
 * release 2026-03-20; see the provenance file). Only tests import this file.
 */
import ExcelJS from 'exceljs';
import JSZip from 'jszip';

/** [question id, question text as on the form]. */
export const FORM_QUESTIONS: readonly (readonly [string, string])[] = [
  ['DOC-1', 'Manufacturer Name'],
  ['DOC-2', 'Device Description'],
  ['DOC-3', 'Device Model'],
  ['DOC-4', 'Document ID'],
  ['DOC-5', 'Manufacturer Contact Information'],
  ['DOC-7', 'Document Release Date'],
  [
    'DOC-8',
    'Coordinated Vulnerability Disclosure: Does the manufacturer have a vulnerability disclosure program for this device?',
  ],
  [
    'MPII-1',
    'Can this device display, transmit, store, or modify personally identifiable information (e.g. electronic Protected Health Information (ePHI))?',
  ],
  [
    'ALOF-1',
    'Can the device be configured to force reauthorization of logged-in user(s) after a predetermined length of inactivity (e.g., auto-logoff, session lock, password protected screen saver)?',
  ],
  [
    'AUTH-1',
    'Does the device prevent access to unauthorized users through user login requirements or other mechanism?',
  ],
  [
    'AUTH-1.1',
    'Can the device be configured to use federated credentials management of users for authorization (e.g., LDAP, OAuth)?',
  ],
  [
    'AUTH-2',
    "Can users be assigned different privilege levels based on 'role' (e.g., user, administrator, and/or service, etc.)?",
  ],
  ['MLDP-1', 'Is the device capable of hosting executable software?'],
  [
    'MLDP-2',
    'Does the device support the use of anti-malware software (or other anti-malware mechanism)? Provide details or reference in notes.',
  ],
  [
    'NAUT-1',
    'Does the device provide/support any means of node authentication that assures both the sender and the recipient of data are known to each other and are authorized to receive transferred information (e.g. Web APIs, SMTP, SNMP)?',
  ],
  ['CONN-1.1.1', 'Does the device support Wi-Fi?'],
  [
    'CONN-2',
    'Does the manufacturer provide a list of network ports and protocols that are used or may be used on the device?',
  ],
  ['CONN-6', 'Does the device require an internet connection for its intended use?'],
  ['CONN-7', 'Does the device support Transport Layer Security (TLS)?'],
  [
    'PAUT-1',
    'Does the device support and enforce unique IDs and passwords for all users and roles (including service accounts)?',
  ],
  ['PAUT-8', 'Does the device support multi-factor authentication?'],
  ['SBOM-1', 'Is the SBoM for this product available?'],
  ['STCF-1', 'Can the device encrypt data at rest?'],
  [
    'TXCF-2',
    'Is personally identifiable information encrypted prior to transmission via a network or removable media?',
  ],
  [
    'TXIG-1',
    'Does the device support any mechanism (e.g., digital signatures) intended to ensure data is not modified during transmission?',
  ],
  ['RMOT-1', 'Does the device permit remote service connections for device analysis or repair?'],
];

export interface TestFormOptions {
  sheet?: string;
  /** Answers by question id: [answer cell, note]; DOC answers are the text. */
  answers: Record<string, readonly [unknown, string?]>;
  /** Header cells in order; the columns follow them. */
  header?: readonly string[];
  /** Rows of title block above the header. */
  titleRows?: number;
}

/** The published layout: a title block, then Question ID | Question | Answer | Notes. */
export async function buildMds2Workbook(o: TestFormOptions): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(o.sheet ?? 'MDS2');
  const header = o.header ?? ['Question ID', 'Question', 'Yes/No/N/A or See Note', 'Notes'];
  const titleRows = o.titleRows ?? 3;
  ws.getCell(1, 1).value = 'Manufacturer Disclosure Statement for Medical Device Security -- MDS2';
  for (let r = 2; r <= titleRows; r++) ws.getCell(r, 1).value = r === 2 ? 'ANSI/NEMA HN 1-2019' : null;
  header.forEach((h, i) => {
    ws.getCell(titleRows + 1, i + 1).value = h;
  });
  const col = (re: RegExp) => header.findIndex((h) => re.test(h)) + 1;
  const cId = col(/question id/i);
  const cQ = col(/^question$/i);
  const cA = col(/yes|answer/i);
  const cN = header.findIndex((h, i) => i + 1 !== cA && /note/i.test(h)) + 1;
  let r = titleRows + 2;
  let section = '';
  for (const [id, text] of FORM_QUESTIONS) {
    const s = id.split('-')[0]!;
    if (s !== section) {
      // Section heading rows, as on the form: no question id.
      ws.getCell(r++, cQ || 2).value = `${s} section`;
      section = s;
    }
    const a = o.answers[id];
    ws.getCell(r, cId).value = id;
    if (cQ) ws.getCell(r, cQ).value = text;
    if (a && cA) {
      ws.getCell(r, cA).value = a[0] as ExcelJS.CellValue;
      if (a[1] !== undefined && cN) ws.getCell(r, cN).value = a[1];
    }
    r++;
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A complete, plausible form for one model, answers overridable. */
export function sampleAnswers(
  over: Record<string, readonly [unknown, string?]> = {},
): Record<string, readonly [unknown, string?]> {
  return {
    'DOC-1': ['Spacelabs Medical'],
    'DOC-2': ['Legacy imaging gateway'],
    'DOC-3': ['Legacy Gateway 90'],
    'DOC-4': ['MDS2-LG90'],
    'DOC-7': ['2025-06-01'],
    'DOC-8': ['Yes'],
    'MPII-1': ['Yes'],
    'ALOF-1': ['Yes'],
    'AUTH-1': ['Yes'],
    'AUTH-1.1': ['Yes', 'LDAP'],
    'AUTH-2': ['Yes'],
    'MLDP-1': ['No'],
    'MLDP-2': ['No'],
    'NAUT-1': ['N/A'],
    'CONN-1.1.1': ['No'],
    'CONN-2': ['Yes', 'TCP 104 DICOM'],
    'CONN-6': ['No'],
    'CONN-7': ['Yes'],
    'PAUT-1': ['Yes'],
    'PAUT-8': ['No'],
    'SBOM-1': ['Yes'],
    'STCF-1': ['No'],
    'TXCF-2': ['No'],
    'TXIG-1': ['No'],
    'RMOT-1': ['Yes', 'Remote service over HTTPS, port 443'],
    ...over,
  };
}

/**
 * The workbook with one part's bytes changed and re-zipped with jszip (exceljs's own zip library): how the
 * tests make a part that is not UTF-8, as a hand edit or a careless generator would leave it.
 */
export async function rewritePart(
  xlsx: Uint8Array,
  part: string,
  change: (bytes: Buffer) => Uint8Array,
): Promise<Buffer> {
  const zip = await JSZip.loadAsync(xlsx);
  const entry = zip.file(part);
  if (!entry) throw new Error(`no part ${part} in the workbook`);
  zip.file(part, change(Buffer.from(await entry.async('uint8array'))));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** `bytes` with the first occurrence of `from` replaced by `to` (which must occur). */
export function replaceBytes(bytes: Buffer, from: Uint8Array, to: Uint8Array): Buffer {
  const at = bytes.indexOf(from);
  if (at < 0) throw new Error('bytes to replace not found');
  return Buffer.concat([bytes.subarray(0, at), to, bytes.subarray(at + from.length)]);
}
