/**
 * @module Patient data inside an opaque cleartext payload (an MQTT message, a file on an FTP data
 * connection): an HL7 v2 message with patient-identifying segments, a DICOM data set (a Part 10 file
 * or a bare data set) with patient attributes, or structured text that labels its fields — JSON keys or a
 * CSV header such as `mrn`, `patient_id`, `DOB`, `SSN`, or a FHIR Patient resource — with values under
 * them. Reuses the HL7 and DICOM scanners, so the same fields and tags count as anywhere else, and reports
 * only *which* segments, fields, tags or field names — never their values.
 * @see HL7 v2.5.1 §2.5 (message construction); DICOM PS3.10 §7.1 (preamble, `DICM`, file meta group);
 *   RFC 8259 (JSON), RFC 4180 (CSV), HL7 FHIR R4 Patient
 */
import { latin1 } from './byte-cursor.js';
import { scanDicomDataset, sniffExplicitVr } from './dicom-dataset.js';
import { parseHl7Message } from './hl7.js';
import { decodeHl7Payload } from './hl7-stream.js';

export type PayloadPhi = (
  | { kind: 'HL7'; messageType?: string; segments: string[]; fields: string[] }
  | { kind: 'DICOM'; tags: string[]; keywords: string[] }
  /** Field names as the payload spells them (`mrn`, `DOB`; `resourceType Patient` for FHIR). */
  | { kind: 'JSON' | 'CSV'; fields: string[] }
) & {
  /**
   * Byte offset in the payload of the first patient identifier that counted: the HL7 field (`PID-3`), the
   * DICOM attribute's tag, the JSON value, the CSV cell. A stream reader maps it to the packet that
   * carried it, which is often not the one that completed the payload.
   */
  offset: number;
};

/** Bytes of a payload worth scanning: patient segments and tags sit near the start of a message. */
export const PAYLOAD_SCAN_LIMIT = 256 * 1024;

const MSH = [0x4d, 0x53, 0x48];

/**
 * Which patient data `payload` carries, or undefined. Pure and bounded; never throws.
 * @example
 * findPatientData(new TextEncoder().encode('MSH|^~\\&|A|B|C|D|||ADT^A04|1|P|2.5\rPID|1||123'));
 * // { kind: 'HL7', messageType: 'ADT^A04', segments: ['PID'], fields: ['PID-3'] }
 */
export function findPatientData(payload: Uint8Array): PayloadPhi | undefined {
  try {
    const bytes = payload.length > PAYLOAD_SCAN_LIMIT ? payload.subarray(0, PAYLOAD_SCAN_LIMIT) : payload;
    return hl7In(bytes) ?? dicomIn(bytes) ?? labelledIn(bytes);
  } catch {
    return undefined;
  }
}

function hl7In(bytes: Uint8Array): PayloadPhi | undefined {
  const at = indexOfMsh(bytes);
  if (at < 0) return undefined;
  // An MLLP frame (0x0B … 0x1C 0x0D) or a file: the message ends at the first frame end, if any.
  let end = bytes.indexOf(0x1c, at);
  if (end < 0) end = bytes.length;
  const r = parseHl7Message(decodeHl7Payload(bytes.subarray(at, end)));
  if (r.kind !== 'ok' || !r.value.hasPatientData) return undefined;
  const s = r.value;
  const type = s.messageType ? `${s.messageType}${s.triggerEvent ? `^${s.triggerEvent}` : ''}` : undefined;
  const first = s.patientData[0]!;
  return {
    kind: 'HL7',
    ...(type ? { messageType: type } : {}),
    segments: [...new Set(s.patientData.map((p) => p.segment))],
    fields: [...new Set(s.patientData.flatMap((p) => p.fields))],
    offset: hl7FieldOffset(
      bytes,
      at,
      end,
      first.segment,
      first.occurrence,
      Number(first.fields[0]!.slice(4)),
    ),
  };
}

/**
 * Where field `n` of the `occurrence`-th `segment` starts in `bytes[at, end)`, found on the bytes (the
 * parser reads decoded text, whose positions differ after a BOM or a multi-byte character); the segment's
 * start when the fields cannot be counted, `at` when the segment is not found.
 * @see HL7 v2.5.1 §2.5.1 (segments end with CR), §2.5.3 (fields are separated by MSH-1)
 */
function hl7FieldOffset(
  bytes: Uint8Array,
  at: number,
  end: number,
  segment: string,
  occurrence: number,
  n: number,
): number {
  const separator = bytes[at + 3]!;
  let seen = 0;
  for (let i = at; i + 3 < end; i++) {
    const lineStart = i === at || bytes[i - 1] === 0x0d || bytes[i - 1] === 0x0a;
    if (!lineStart || latin1(bytes, i, i + 3) !== segment || bytes[i + 3] !== separator) continue;
    if (++seen < occurrence) continue;
    let field = 0;
    for (let j = i + 3; j < end && bytes[j] !== 0x0d && bytes[j] !== 0x0a; j++) {
      if (bytes[j] === separator && ++field === n) return j + 1;
    }
    return i;
  }
  return at;
}

/** `MSH` followed by a field separator, at the start of the payload or of a line. */
function indexOfMsh(bytes: Uint8Array): number {
  let from = 0;
  for (;;) {
    const i = bytes.indexOf(MSH[0]!, from);
    if (i < 0 || i + 4 > bytes.length) return -1;
    const prev = i === 0 ? 0x0d : bytes[i - 1]!;
    const lineStart = prev === 0x0d || prev === 0x0a || prev === 0x0b || prev === 0xbf; // CR, LF, MLLP, BOM end
    if (lineStart && bytes[i + 1] === MSH[1] && bytes[i + 2] === MSH[2] && bytes[i + 3]! >= 0x21) return i;
    from = i + 1;
  }
}

function dicomIn(bytes: Uint8Array): PayloadPhi | undefined {
  let dataset: Uint8Array | undefined;
  let start = 0;
  if (bytes.length > 144 && latin1(bytes, 128, 132) === 'DICM') {
    // PS3.10 §7.1: the file meta group is explicit VR little endian and starts with its group length.
    if (bytes[132] !== 0x02 || bytes[133] !== 0 || bytes[134] !== 0 || bytes[135] !== 0) return undefined;
    const metaLength = bytes[140]! | (bytes[141]! << 8) | (bytes[142]! << 16) | (bytes[143]! << 24);
    start = 144 + metaLength;
    if (metaLength < 0 || start >= bytes.length) return undefined;
    dataset = bytes.subarray(start);
  } else if (bytes.length >= 8 && bytes[1] === 0 && bytes[0]! % 2 === 0 && bytes[0]! >= 0x08) {
    // A bare data set: its first element is in an even (standard) group such as 0008.
    dataset = bytes;
  }
  if (!dataset) return undefined;
  const scan = scanDicomDataset(dataset, sniffExplicitVr(dataset), { maxElements: 10_000 });
  if (scan.patientTags.length === 0 || scan.status === 'malformed') return undefined;
  return {
    kind: 'DICOM',
    tags: scan.patientTags.map((t) => t.tag),
    keywords: scan.patientTags.map((t) => t.keyword),
    offset: start + (scan.patientOffset ?? 0),
  };
}

/**
 * Field names that identify a patient, compared lower-case without spaces, `_`, `-` or `.`. Only names
 * that mean a patient by themselves: `name` or `id` alone label many things (a drug, a device, a bed).
 */
const PATIENT_FIELDS = new Set([
  'mrn',
  'medicalrecordnumber',
  'medicalrecordno',
  'patientid',
  'patientidentifier',
  'patientname',
  'patientfirstname',
  'patientlastname',
  'patientgivenname',
  'patientfamilyname',
  'patientdob',
  'patientbirthdate',
  'dob',
  'dateofbirth',
  'birthdate',
  'ssn',
  'socialsecuritynumber',
]);
const normalised = (name: string) => name.toLowerCase().replace(/[\s_.-]/g, '');

/** Text worth reading as JSON or CSV: a text payload has no NUL and few control bytes near its start. */
function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  return control * 20 <= n;
}

/** Bytes of text read for labels: patient fields sit in the first records of a message or file. */
const LABEL_SCAN_LIMIT = 64 * 1024;
/** A JSON key and the first character of a value that is not null, empty or false. */
const JSON_KEY = /"([A-Za-z][A-Za-z0-9 _.-]{0,39})"\s*:\s*(?:"[^"]|[0-9{[]|true)/g;
const FHIR_PATIENT = /"resourceType"\s*:\s*"Patient"/;

function labelledIn(bytes: Uint8Array): PayloadPhi | undefined {
  if (bytes.length < 8 || !looksLikeText(bytes)) return undefined;
  const text = latin1(bytes, 0, Math.min(bytes.length, LABEL_SCAN_LIMIT));
  const first = text.search(/\S/);
  if (first < 0) return undefined;
  return text[first] === '{' || text[first] === '[' ? jsonFields(text) : csvFields(text, first);
}

function jsonFields(text: string): PayloadPhi | undefined {
  const fields = new Set<string>();
  // The text is latin1, one character per byte: its indexes are byte offsets.
  let offset = -1;
  const fhir = FHIR_PATIENT.exec(text);
  if (fhir) {
    fields.add('resourceType Patient');
    offset = fhir.index;
  }
  for (const m of text.matchAll(JSON_KEY)) {
    if (PATIENT_FIELDS.has(normalised(m[1]!))) {
      fields.add(m[1]!);
      // The value's first character, which the pattern ends on.
      if (offset < 0) offset = m.index + m[0].length - 1;
    }
    if (fields.size >= 20) break;
  }
  return fields.size ? { kind: 'JSON', fields: [...fields], offset } : undefined;
}

/** A header line naming patient fields, then at least one record with a value in one of them. */
function csvFields(text: string, start: number): PayloadPhi | undefined {
  const eol = text.indexOf('\n', start);
  if (eol < 0 || eol - start > 4096) return undefined;
  const header = text.slice(start, eol).replace(/\r$/, '');
  const delimiter = [',', ';', '\t', '|'].reduce((a, d) =>
    header.split(d).length > header.split(a).length ? d : a,
  );
  const names = header.split(delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  if (names.length < 2) return undefined;
  const next = text.indexOf('\n', eol + 1);
  const record = text.slice(eol + 1, next < 0 ? undefined : next).split(delimiter);
  const counted = (n: string, i: number) =>
    PATIENT_FIELDS.has(normalised(n)) && (record[i] ?? '').trim() !== '';
  const fields = names.filter(counted);
  if (!fields.length) return undefined;
  // The first counted cell of the record: the cells before it and their delimiters.
  const cell = names.findIndex(counted);
  const offset = eol + 1 + record.slice(0, cell).reduce((n, c) => n + c.length + delimiter.length, 0);
  return { kind: 'CSV', fields: fields.slice(0, 20), offset };
}
