/**
 * @module HL7 v2 messages: `parseHl7Message` summarises one message: who sent it to whom (MSH-3 to
 * MSH-6), what it is (MSH-9, MSH-12), its control id, the segments it holds, whether it acknowledges
 * another (MSA), and *which* patient-identifying fields it carries (PID, NK1, GT1, IN1, IN2, MRG, PV1):
 * field numbers only, never their values. Segments may end in CR (the standard), LF or CRLF.
 *
 * @see HL7 v2.5.1 §2.5 (message construction: delimiters, escape sequences), §2.14.9 (MSH)
 * @see HL7 v2.5.1 §2.14.8 (MSA), §3.4.2 (PID), §3.4.5 (NK1), §6.5.5 (GT1), §6.5.6 (IN1)
 */
import { malformed, ok, type ParseResult } from './parse-result.js';

/** HD data type (namespace ID ^ universal ID ^ universal ID type), as in MSH-3 … MSH-6. */
export interface Hl7HierarchicDesignator {
  namespaceId?: string;
  universalId?: string;
  universalIdType?: string;
}

/** One segment occurrence that identifies a person, and which of its identifying fields had a value. */
export interface Hl7PatientSegment {
  segment: string;
  /** 1 for the first segment with this id in the message, 2 for the second … */
  occurrence: number;
  /** Field references such as `PID-5`; see HL7_PATIENT_FIELDS for their names. */
  fields: string[];
}

export interface Hl7Summary {
  fieldSeparator: string;
  encodingCharacters: string;
  sendingApplication?: Hl7HierarchicDesignator;
  sendingFacility?: Hl7HierarchicDesignator;
  receivingApplication?: Hl7HierarchicDesignator;
  receivingFacility?: Hl7HierarchicDesignator;
  /** MSH-7 as sent (DTM: YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]). */
  messageTime?: string;
  /** MSH-9.1, e.g. `ADT`, `ORU`, `ACK`. */
  messageType?: string;
  /** MSH-9.2, e.g. `A01`. */
  triggerEvent?: string;
  /** MSH-9.3, e.g. `ADT_A01`. */
  messageStructure?: string;
  controlId?: string;
  /** MSH-11.1: P (production), T (training), D (debugging). */
  processingId?: string;
  /** MSH-12.1, e.g. `2.5`. */
  version?: string;
  /** MSH-18 repetitions. */
  characterSets?: string[];
  /** MSH-21 entity identifiers (conformance profiles such as IHE PCD-01). */
  messageProfiles?: string[];
  /** Segment ids in order of first appearance. */
  segmentIds: string[];
  segmentCounts: Record<string, number>;
  segmentCount: number;
  /** Lines that are not segments (a value broken by a stray line feed, garbage). */
  unparsedLines: number;
  /** Segments with patient-identifying fields that had a value. Never the values. */
  patientData: Hl7PatientSegment[];
  hasPatientData: boolean;
  /** MSA-1 acknowledgment code (AA, AE, AR, CA, CE, CR) and MSA-2, the control id acknowledged. */
  ack?: { code: string; controlId?: string };
}

/**
 * Fields that identify a person, by segment and field number. Presence of a segment alone (e.g. an
 * empty NK1) is not patient data; a non-empty field from this table is.
 */
export const HL7_PATIENT_FIELDS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  PID: {
    2: 'Patient ID (external)',
    3: 'Patient Identifier List',
    4: 'Alternate Patient ID',
    5: 'Patient Name',
    6: "Mother's Maiden Name",
    7: 'Date/Time of Birth',
    11: 'Patient Address',
    13: 'Phone Number - Home',
    14: 'Phone Number - Business',
    18: 'Patient Account Number',
    19: 'SSN Number - Patient',
    20: "Driver's License Number",
    21: "Mother's Identifier",
    29: 'Patient Death Date and Time',
  },
  NK1: {
    2: 'Name',
    4: 'Address',
    5: 'Phone Number',
    6: 'Business Phone Number',
    33: 'Next of Kin Identifiers',
    37: 'Contact Person Social Security Number',
  },
  GT1: {
    2: 'Guarantor Number',
    3: 'Guarantor Name',
    4: 'Guarantor Spouse Name',
    5: 'Guarantor Address',
    6: 'Guarantor Ph Num - Home',
    7: 'Guarantor Ph Num - Business',
    8: 'Guarantor Date/Time of Birth',
    12: 'Guarantor SSN',
  },
  IN1: {
    16: 'Name of Insured',
    18: "Insured's Date of Birth",
    19: "Insured's Address",
    36: 'Policy Number',
    49: "Insured's ID Number",
  },
  IN2: { 1: "Insured's Employee ID", 2: "Insured's Social Security Number" },
  MRG: {
    1: 'Prior Patient Identifier List',
    2: 'Prior Alternate Patient ID',
    3: 'Prior Patient Account Number',
    4: 'Prior Patient ID',
    5: 'Prior Visit Number',
    7: 'Prior Patient Name',
  },
  PV1: { 19: 'Visit Number', 50: 'Alternate Visit ID' },
};

/** HL7_PATIENT_FIELDS as field-number lists, for the per-segment loop. */
const PATIENT_FIELD_NUMBERS: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries(HL7_PATIENT_FIELDS).map(([segment, fields]) => [segment, Object.keys(fields).map(Number)]),
);
const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const MAX_KEPT_TEXT = 200;

/** The delimiters of one message, from MSH-1 and MSH-2. */
export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/**
 * Summarises one HL7 v2 message (without MLLP framing).
 * @example
 * const r = parseHl7Message('MSH|^~\\&|MONITOR_GW|ICU|EHR|SGH|20260101||ORU^R01^ORU_R01|1|P|2.5\rPID|1||123');
 * if (r.kind === 'ok') r.value.patientData; // [{ segment: 'PID', occurrence: 1, fields: ['PID-3'] }]
 */
export function parseHl7Message(text: string): ParseResult<Hl7Summary> {
  let start = 0;
  while (start < text.length && (text[start] === '\ufeff' || /\s/.test(text[start]!))) start++;
  const head = text.slice(start, start + 3);
  if (head === 'FHS' || head === 'BHS')
    return malformed(start, 'HL7 batch header: split into messages first');
  if (head !== 'MSH') return malformed(start, 'message does not start with MSH');
  if (text.length - start < 8) return malformed(start, 'MSH segment too short');
  const field = text[start + 3]!;
  if (/[A-Za-z0-9\r\n\s\\]/.test(field)) return malformed(start + 3, 'invalid field separator');
  const encodingEnd = text.indexOf(field, start + 4);
  const encoding = text.slice(start + 4, encodingEnd === -1 ? undefined : encodingEnd);
  if (encoding.length < 2 || encoding.length > 5 || /[A-Za-z0-9\r\n]/.test(encoding)) {
    return malformed(start + 4, 'invalid encoding characters');
  }
  if (new Set(encoding + field).size !== encoding.length + 1) {
    return malformed(start + 4, 'encoding characters are not distinct');
  }
  const delimiters: Hl7Delimiters = {
    field,
    component: encoding[0]!,
    repetition: encoding[1]!,
    escape: encoding[2] ?? '',
    subcomponent: encoding[3] ?? '',
  };

  const summary: Hl7Summary = {
    fieldSeparator: field,
    encodingCharacters: encoding,
    segmentIds: [],
    segmentCounts: {},
    segmentCount: 0,
    unparsedLines: 0,
    patientData: [],
    hasPatientData: false,
  };
  const lines = text.slice(start).split(/\r\n|\n\r|\r|\n/);
  for (const line of lines) {
    if (line === '') continue;
    const id = line.slice(0, 3);
    if (!SEGMENT_ID.test(id) || (line.length > 3 && line[3] !== field)) {
      summary.unparsedLines++;
      continue;
    }
    const occurrence = (summary.segmentCounts[id] ?? 0) + 1;
    summary.segmentCounts[id] = occurrence;
    if (occurrence === 1) summary.segmentIds.push(id);
    summary.segmentCount++;
    if (id === 'MSH' && summary.segmentCount === 1) {
      readMsh(line.split(field), delimiters, summary);
    } else if (id === 'MSA' && summary.ack === undefined) {
      const fields = line.split(field);
      const code = shaped(firstComponent(fields[1], delimiters), MSH_SHAPES.ackCode);
      if (code !== undefined) {
        const controlId = firstComponent(fields[2], delimiters);
        summary.ack = controlId === undefined ? { code } : { code, controlId };
      }
    }
    const identifying = PATIENT_FIELD_NUMBERS.get(id);
    if (identifying !== undefined) {
      const fields = line.split(field);
      const present: string[] = [];
      for (const n of identifying) if (hasValue(fields[n], delimiters)) present.push(`${id}-${n}`);
      if (present.length > 0) summary.patientData.push({ segment: id, occurrence, fields: present });
    }
  }
  summary.hasPatientData = summary.patientData.length > 0;
  return ok(summary, text.length);
}

/** MSH fields: `fields[0]` is `MSH` and `fields[n - 1]` is MSH-n, because MSH-1 is the separator itself. */
/**
 * Shapes of the constrained MSH fields (HL7 v2.5.1 §2.14.9, tables 0076/0103/0104/0211): a value that
 * does not fit is not kept, so a damaged message cannot turn other text into header values.
 */
const MSH_SHAPES = {
  time: /^\d{4,14}(\.\d{1,4})?([+-]\d{4})?$/,
  code: /^[A-Za-z0-9_]{1,16}$/,
  processingId: /^[A-Za-z]$/,
  version: /^\d+(\.\d+){0,3}$/,
  characterSet:
    /^(ASCII|8859\/\d{1,2}|ISO IR\d{1,3}|GB 18030-2000|KS X 1001|CNS 11643-1992|BIG-5|UNICODE( UTF-(8|16|32))?)$/,
  entityIdentifier: /^[A-Za-z0-9_.:-]{1,64}$/,
  universalIdType: /^[A-Za-z0-9-]{1,12}$/,
  /** MSA-1, table 0008: AA AE AR CA CE CR. */
  ackCode: /^[AC][AER]$/,
};
const shaped = (value: string | undefined, shape: RegExp): string | undefined =>
  value !== undefined && shape.test(value) ? value : undefined;

/** MSH fields: `fields[0]` is `MSH` and `fields[n - 1]` is MSH-n, because MSH-1 is the separator itself. */
function readMsh(fields: string[], d: Hl7Delimiters, summary: Hl7Summary): void {
  const msh = (n: number): string | undefined => fields[n - 1];
  const hd = (n: number): Hl7HierarchicDesignator | undefined => hierarchicDesignator(msh(n), d);
  const set = <K extends keyof Hl7Summary>(key: K, value: Hl7Summary[K] | undefined) => {
    if (value !== undefined) summary[key] = value;
  };
  set('sendingApplication', hd(3));
  set('sendingFacility', hd(4));
  set('receivingApplication', hd(5));
  set('receivingFacility', hd(6));
  set('messageTime', shaped(firstComponent(msh(7), d), MSH_SHAPES.time));
  const type = components(msh(9), d);
  set('messageType', shaped(type[0], MSH_SHAPES.code));
  set('triggerEvent', shaped(type[1], MSH_SHAPES.code));
  set('messageStructure', shaped(type[2], MSH_SHAPES.code));
  set(
    'controlId',
    unescapeHl7(msh(10) ?? '', d)
      .trim()
      .slice(0, MAX_KEPT_TEXT) || undefined,
  );
  set('processingId', shaped(firstComponent(msh(11), d), MSH_SHAPES.processingId));
  set('version', shaped(firstComponent(msh(12), d), MSH_SHAPES.version));
  const repetitions = (n: number, shape: RegExp): string[] | undefined => {
    const value = msh(n);
    if (value === undefined || value === '') return undefined;
    const list = value
      .split(d.repetition)
      .map((r) => shaped(firstComponent(r, d), shape))
      .filter((r): r is string => r !== undefined);
    return list.length > 0 ? list : undefined;
  };
  set('characterSets', repetitions(18, MSH_SHAPES.characterSet));
  set('messageProfiles', repetitions(21, MSH_SHAPES.entityIdentifier));
}

function components(value: string | undefined, d: Hl7Delimiters): (string | undefined)[] {
  if (value === undefined || value === '') return [];
  const firstRepetition = value.split(d.repetition)[0] ?? '';
  return firstRepetition.split(d.component).map((c) => {
    const sub =
      d.subcomponent !== '' && c.includes(d.subcomponent) ? c.slice(0, c.indexOf(d.subcomponent)) : c;
    const text = unescapeHl7(sub, d).trim().slice(0, MAX_KEPT_TEXT);
    return text === '' ? undefined : text;
  });
}

function firstComponent(value: string | undefined, d: Hl7Delimiters): string | undefined {
  return components(value, d)[0];
}

function hierarchicDesignator(
  value: string | undefined,
  d: Hl7Delimiters,
): Hl7HierarchicDesignator | undefined {
  const [namespaceId, universalId, universalIdType] = components(value, d);
  const out: Hl7HierarchicDesignator = {};
  if (namespaceId !== undefined) out.namespaceId = namespaceId;
  if (universalId !== undefined) out.universalId = universalId;
  const type = shaped(universalIdType, MSH_SHAPES.universalIdType);
  if (type !== undefined) out.universalIdType = type;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A field has a value when anything but delimiters, white space and quotes is left: `""` is HL7's
 * explicit null, `^^~^` an empty composite.
 */
function hasValue(value: string | undefined, d: Hl7Delimiters): boolean {
  if (value === undefined) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === d.component || c === d.repetition || c === d.subcomponent || c === '"') continue;
    if (c !== ' ' && c !== '\t') return true;
  }
  return false;
}

/**
 * Resolves HL7 escape sequences (§2.7): \F\ \S\ \T\ \R\ \E\ become the delimiters, \Xhh…\ the bytes;
 * formatting and character-set escapes (\H\ \N\ \.br\ \Cxxyy\ \Mxxyyzz\ \Z…\) are dropped.
 */
export function unescapeHl7(value: string, d: Hl7Delimiters): string {
  if (d.escape === '' || !value.includes(d.escape)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c !== d.escape) {
      out += c;
      i++;
      continue;
    }
    const close = value.indexOf(d.escape, i + 1);
    if (close === -1) {
      out += value.slice(i);
      break;
    }
    const body = value.slice(i + 1, close);
    switch (body[0]) {
      case 'F':
        out += d.field;
        break;
      case 'S':
        out += d.component;
        break;
      case 'T':
        out += d.subcomponent;
        break;
      case 'R':
        out += d.repetition;
        break;
      case 'E':
        out += d.escape;
        break;
      case 'X':
        for (let h = 1; h + 1 < body.length; h += 2) {
          const byte = Number.parseInt(body.slice(h, h + 2), 16);
          if (!Number.isNaN(byte)) out += String.fromCharCode(byte);
        }
        break;
      default:
        break; // formatting and character set escapes carry no text
    }
    i = close + 1;
  }
  return out;
}
