/**
 * @module A small scanner for the DICOM data sets carried in P-DATA values: the DIMSE command (command
 * field, SOP class, status), the device identity a data set carries (SOP class, modality, manufacturer,
 * model, software versions, station name, serial number), and *which* patient identifiers are present.
 * Patient values are looked at only to tell empty from non-empty and never leave this module: no
 * returned object holds a byte of them. Little endian only (implicit or explicit VR); the caller turns
 * big endian and deflated transfer syntaxes away before calling.
 *
 * @see DICOM PS3.5 §7.1 (Data Elements: explicit and implicit VR encoding), §7.5 (Nesting of data sets)
 * @see DICOM PS3.7 §9.3 and Annex E (DIMSE command fields), §C (status classes)
 * @see DICOM PS3.15 Annex E (attributes the de-identification profile treats as identifying)
 */
import { latin1, utf8 } from './byte-cursor.js';

/** A patient-identifying attribute seen with a non-empty value: its tag and keyword, never its value. */
export interface DicomPatientTag {
  /** `(gggg,eeee)` in lower-case hex, as PS3.6 and Wireshark print tags. */
  tag: string;
  keyword: string;
}

/**
 * Attributes that identify a patient (a subset of PS3.15 Table E.1-1 that appears in real traffic).
 * Keys are `group << 16 | element`.
 */
export const DICOM_PATIENT_TAGS: ReadonlyMap<number, string> = new Map([
  [0x00080050, 'AccessionNumber'],
  [0x00100010, 'PatientName'],
  [0x00100020, 'PatientID'],
  [0x00100030, 'PatientBirthDate'],
  [0x00100032, 'PatientBirthTime'],
  [0x00101000, 'OtherPatientIDs'],
  [0x00101001, 'OtherPatientNames'],
  [0x00101002, 'OtherPatientIDsSequence'],
  [0x00101005, 'PatientBirthName'],
  [0x00101040, 'PatientAddress'],
  [0x00101060, 'PatientMotherBirthName'],
  [0x00101090, 'MedicalRecordLocator'],
  [0x00102154, 'PatientTelephoneNumbers'],
  [0x00102155, 'PatientTelecomInformation'],
  [0x00380010, 'AdmissionID'],
  [0x00380400, 'PatientInstitutionResidence'],
]);

/** DIMSE command fields (PS3.7 Annex E). */
export const DICOM_COMMAND_FIELDS: Readonly<Record<number, string>> = {
  1: 'C-STORE-RQ',
  32769: 'C-STORE-RSP',
  16: 'C-GET-RQ',
  32784: 'C-GET-RSP',
  32: 'C-FIND-RQ',
  32800: 'C-FIND-RSP',
  33: 'C-MOVE-RQ',
  32801: 'C-MOVE-RSP',
  48: 'C-ECHO-RQ',
  32816: 'C-ECHO-RSP',
  256: 'N-EVENT-REPORT-RQ',
  33024: 'N-EVENT-REPORT-RSP',
  272: 'N-GET-RQ',
  33040: 'N-GET-RSP',
  288: 'N-SET-RQ',
  33056: 'N-SET-RSP',
  304: 'N-ACTION-RQ',
  33072: 'N-ACTION-RSP',
  320: 'N-CREATE-RQ',
  33088: 'N-CREATE-RSP',
  336: 'N-DELETE-RQ',
  33104: 'N-DELETE-RSP',
  4095: 'C-CANCEL-RQ',
};

export type DicomStatusCategory = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

/** The DIMSE command set (group 0000), without instance UIDs or free-text error comments. */
export interface DicomCommand {
  commandField: number;
  commandName: string;
  isResponse: boolean;
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  priority?: number;
  /** Command Data Set Type (0000,0800) other than 0x0101: a data set follows. */
  hasDataSet: boolean;
  status?: number;
  statusCategory?: DicomStatusCategory;
  /** C-MOVE destination AE title (0000,0600). */
  moveDestination?: string;
  /** AE that started the C-MOVE behind this C-STORE (0000,1030). */
  moveOriginatorAeTitle?: string;
}

/** Device identity attributes of the top-level data set (values kept: they describe equipment). */
export interface DicomDeviceIdentity {
  sopClassUid?: string;
  modality?: string;
  manufacturer?: string;
  modelName?: string;
  softwareVersions?: string[];
  stationName?: string;
  deviceSerialNumber?: string;
}

export interface DicomDatasetScan {
  /**
   * `complete`: every element up to the end or to the pixel data was read; `truncated`: the bytes end
   * inside an element (a capped or unfinished data set); `malformed`: see `error`.
   */
  status: 'complete' | 'truncated' | 'malformed';
  error?: { offset: number; reason: string };
  elementCount: number;
  command?: DicomCommand;
  identity: DicomDeviceIdentity;
  /** Patient-identifying attributes with a non-empty value, at any nesting depth, first occurrence order. */
  patientTags: DicomPatientTag[];
  /** Offset in `bytes` of the first patient attribute that counted (its tag), when there is one. */
  patientOffset?: number;
  /** Offset in `bytes` of each `identity` attribute's tag: evidence names the packet that carried it. */
  identityOffsets: DicomIdentityOffsets;
}

/** Where each device identity attribute of a data set starts (its tag), by field. */
export type DicomIdentityOffsets = Partial<Record<keyof DicomDeviceIdentity, number>>;

export interface DicomScanOptions {
  /** Deepest sequence nesting walked. Default 16. */
  maxDepth?: number;
  /** Stop (malformed) after this many elements. Default 100 000. */
  maxElements?: number;
}

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const SHORT_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FL',
  'FD',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'SL',
  'SS',
  'ST',
  'TM',
  'UI',
  'UL',
  'US',
]);

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
/** The item tag's four bytes read as one little-endian number (FE FF 00 E0). */
const ITEM_LE = 0xe000fffe;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const MAX_KEPT_TEXT = 128;

const IDENTITY_TAGS: ReadonlyMap<number, keyof DicomDeviceIdentity> = new Map([
  [0x00080016, 'sopClassUid'],
  [0x00080060, 'modality'],
  [0x00080070, 'manufacturer'],
  [0x00081090, 'modelName'],
  [0x00181020, 'softwareVersions'],
  [0x00081010, 'stationName'],
  [0x00181000, 'deviceSerialNumber'],
]);
const SPECIFIC_CHARACTER_SET = 0x00080005;

const u16le = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32le = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
const tagName = (tag: number): string =>
  `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`;
const isUpper = (c: number | undefined): boolean => c !== undefined && c >= 0x41 && c <= 0x5a;

/**
 * The VR named by two upper-case letters, one string per pair for the whole process: every element of
 * every data set has one, and making a new two-letter string each time was a measurable share of a
 * C-STORE scan's garbage.
 */
const vrNames: string[] = [];
function vrName(c0: number, c1: number): string {
  const i = (c0 - 0x41) * 26 + (c1 - 0x41);
  let name = vrNames[i];
  if (name === undefined) {
    name = String.fromCharCode(c0, c1);
    vrNames[i] = name;
  }
  return name;
}

/**
 * Whether a data set looks like explicit VR (a valid VR after the first tag), for P-DATA whose
 * presentation context was never seen (a capture that starts mid-association).
 */
export function sniffExplicitVr(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || !isUpper(bytes[4]) || !isUpper(bytes[5])) return false;
  const vr = vrName(bytes[4]!, bytes[5]!);
  return LONG_VRS.has(vr) || SHORT_VRS.has(vr);
}

/** Values that mean "no value" in a query or a padded attribute: spaces, NULs, PN/multi-value separators, wildcards. */
function isBlank(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0 && c !== 0x5e && c !== 0x3d && c !== 0x5c && c !== 0x2a && c !== 0x3f)
      return false;
  }
  return true;
}

class Scan {
  status: DicomDatasetScan['status'] = 'complete';
  error?: { offset: number; reason: string };
  done = false;
  elementCount = 0;
  utf8 = false;
  readonly identity: DicomDeviceIdentity = {};
  readonly identityOffsets: DicomIdentityOffsets = {};
  readonly patient = new Set<number>();
  /** Where the first patient attribute starts, -1 until one is seen. */
  patientOffset = -1;
  command?: Partial<DicomCommand> & { commandDataSetType?: number };

  constructor(
    readonly bytes: Uint8Array,
    readonly maxDepth: number,
    readonly maxElements: number,
  ) {}

  fail(offset: number, reason: string): void {
    if (this.done) return;
    this.status = 'malformed';
    this.error = { offset, reason };
    this.done = true;
  }

  /** The bytes ran out at `offset`: a truncation if the buffer ends there, else a container overrun. */
  outOfBytes(offset: number, end: number, what: string): void {
    if (end >= this.bytes.length) {
      if (!this.done) this.status = 'truncated';
      this.done = true;
    } else {
      this.fail(offset, `${what} overruns its sequence item`);
    }
  }

  text(start: number, end: number): string {
    let s = start;
    let e = end;
    const b = this.bytes;
    while (s < e && (b[s] === 0x20 || b[s] === 0)) s++;
    while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0)) e--;
    e = Math.min(e, s + MAX_KEPT_TEXT * 4);
    const value = this.utf8 ? utf8(b, s, e) : latin1(b, s, e);
    return value.slice(0, MAX_KEPT_TEXT);
  }
}

/**
 * Scans a data set (or a command set: group 0000 is always implicit VR little endian).
 * @example
 * const scan = scanDicomDataset(pdvValue, true);
 * scan.identity.manufacturer; // 'GE MEDICAL SYSTEMS'
 * scan.patientTags;           // [{ tag: '(0010,0010)', keyword: 'PatientName' }, …]
 */
export function scanDicomDataset(
  bytes: Uint8Array,
  explicitVr: boolean,
  options: DicomScanOptions = {},
): DicomDatasetScan {
  const scan = new Scan(bytes, options.maxDepth ?? 16, options.maxElements ?? 100_000);
  walkElements(scan, 0, bytes.length, explicitVr, 0, false);
  const result: DicomDatasetScan = {
    status: scan.status,
    elementCount: scan.elementCount,
    identity: scan.identity,
    identityOffsets: scan.identityOffsets,
    patientTags: [...scan.patient].map((tag) => ({
      tag: tagName(tag),
      keyword: DICOM_PATIENT_TAGS.get(tag)!,
    })),
  };
  if (scan.error !== undefined) result.error = scan.error;
  if (scan.patientOffset >= 0) result.patientOffset = scan.patientOffset;
  const command = finishCommand(scan.command);
  if (command !== undefined) result.command = command;
  return result;
}

/**
 * Walks the elements in [pos, end). Inside an item of undefined length (`inItem`), stops after the item
 * delimitation tag. Returns the position after what was read.
 */
function walkElements(
  s: Scan,
  start: number,
  end: number,
  explicit: boolean,
  depth: number,
  inItem: boolean,
): number {
  const b = s.bytes;
  let pos = start;
  while (pos < end && !s.done) {
    if (end - pos < 8) {
      s.outOfBytes(pos, end, 'element header');
      return end;
    }
    const tag = ((u16le(b, pos) << 16) | u16le(b, pos + 2)) >>> 0;
    if (tag >>> 16 === 0xfffe) {
      if (tag === ITEM_DELIMITATION && inItem) return pos + 8;
      s.fail(pos, `unexpected ${tagName(tag)} among data elements`);
      return end;
    }
    // Everything after the pixel data (padding, signatures) is of no interest, and skipping it is the
    // fast path for images.
    if (depth === 0 && tag >>> 16 >= 0x7fe0) {
      s.done = true;
      return end;
    }
    let vr = '';
    let length: number;
    let header = 8;
    if (explicit) {
      const c0 = b[pos + 4]!;
      const c1 = b[pos + 5]!;
      if (!isUpper(c0) || !isUpper(c1)) {
        s.fail(pos + 4, `invalid VR bytes for ${tagName(tag)}`);
        return end;
      }
      vr = vrName(c0, c1);
      if (LONG_VRS.has(vr)) {
        if (end - pos < 12) {
          s.outOfBytes(pos, end, 'element header');
          return end;
        }
        length = u32le(b, pos + 8);
        header = 12;
      } else if (SHORT_VRS.has(vr)) {
        length = u16le(b, pos + 6);
      } else {
        s.fail(pos + 4, `unknown VR ${vr} for ${tagName(tag)}`);
        return end;
      }
    } else {
      length = u32le(b, pos + 4);
    }
    if (++s.elementCount > s.maxElements) {
      s.fail(pos, `more than ${s.maxElements} elements`);
      return end;
    }
    const valueStart = pos + header;
    if (length === UNDEFINED_LENGTH) {
      if (depth >= s.maxDepth) {
        s.fail(pos, 'sequences nested too deeply');
        return end;
      }
      // Undefined length: a sequence, whose items are implicit VR when the VR is UN (PS3.5 §6.2.2), or
      // encapsulated pixel data (OB/OW), whose fragments have the same item structure.
      const items = walkSequence(
        s,
        valueStart,
        end,
        explicit && vr !== 'UN',
        depth + 1,
        true,
        vr === 'OB' || vr === 'OW',
      );
      if (items.count > 0) notePatientTag(s, tag, pos);
      pos = items.end;
      continue;
    }
    const valueEnd = valueStart + length;
    const isSequence =
      vr === 'SQ' ||
      ((vr === '' || vr === 'UN') &&
        length >= 8 &&
        valueStart + 4 <= b.length &&
        u32le(b, valueStart) === ITEM_LE);
    if (valueEnd > end) {
      // Cut off: what is there still counts for presence.
      if (!isSequence && DICOM_PATIENT_TAGS.has(tag) && !isBlank(b, valueStart, Math.min(end, b.length))) {
        notePatientTag(s, tag, pos);
      }
      s.outOfBytes(pos, end, `${tagName(tag)} value`);
      return end;
    }
    if (isSequence) {
      if (depth >= s.maxDepth) {
        pos = valueEnd; // a defined length lets us step over what we will not walk
        continue;
      }
      const items = walkSequence(s, valueStart, valueEnd, explicit && vr !== 'UN', depth + 1, false, false);
      if (items.count > 0) notePatientTag(s, tag, pos);
    } else {
      noteValue(s, tag, pos, valueStart, valueEnd, depth);
    }
    pos = valueEnd;
  }
  if (inItem && !s.done) s.outOfBytes(pos, end, 'item without delimitation');
  return pos;
}

/** Walks sequence items (or pixel data fragments). Returns where the sequence ends and its item count. */
function walkSequence(
  s: Scan,
  start: number,
  end: number,
  explicit: boolean,
  depth: number,
  undefinedLength: boolean,
  fragments: boolean,
): { end: number; count: number } {
  const b = s.bytes;
  let pos = start;
  let count = 0;
  while (!s.done) {
    if (!undefinedLength && pos >= end) return { end: pos, count };
    if (end - pos < 8) {
      s.outOfBytes(pos, end, 'sequence');
      return { end, count };
    }
    const tag = ((u16le(b, pos) << 16) | u16le(b, pos + 2)) >>> 0;
    const length = u32le(b, pos + 4);
    if (tag === SEQUENCE_DELIMITATION) return { end: pos + 8, count };
    if (tag !== ITEM) {
      s.fail(pos, `expected an item, found ${tagName(tag)}`);
      return { end, count };
    }
    count++;
    if (length === UNDEFINED_LENGTH) {
      if (fragments) {
        s.fail(pos, 'pixel data fragment of undefined length');
        return { end, count };
      }
      pos = walkElements(s, pos + 8, end, explicit, depth, true);
      continue;
    }
    const itemEnd = pos + 8 + length;
    if (!fragments) walkElements(s, pos + 8, Math.min(itemEnd, end), explicit, depth, false);
    if (itemEnd > end && !s.done) s.outOfBytes(pos, end, 'item');
    pos = itemEnd;
  }
  return { end, count };
}

/** `at` is where the element's tag starts: evidence names the packet that carried it. */
function notePatientTag(s: Scan, tag: number, at: number): void {
  if (!DICOM_PATIENT_TAGS.has(tag)) return;
  s.patient.add(tag);
  if (s.patientOffset < 0) s.patientOffset = at;
}

function noteValue(s: Scan, tag: number, at: number, start: number, end: number, depth: number): void {
  const b = s.bytes;
  if (DICOM_PATIENT_TAGS.has(tag)) {
    if (!isBlank(b, start, end)) notePatientTag(s, tag, at);
    return;
  }
  if (depth !== 0) return;
  if (tag >>> 16 === 0) {
    noteCommandElement(s, tag & 0xffff, start, end);
    return;
  }
  if (tag === SPECIFIC_CHARACTER_SET) {
    s.utf8 = s.text(start, end).includes('ISO_IR 192');
    return;
  }
  const field = IDENTITY_TAGS.get(tag);
  if (field === undefined || start === end) return;
  const text = s.text(start, end);
  if (text === '') return;
  if (field === 'softwareVersions') {
    s.identity.softwareVersions = text
      .split('\\')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  } else {
    s.identity[field] = text;
  }
  s.identityOffsets[field] = at;
}

function noteCommandElement(s: Scan, element: number, start: number, end: number): void {
  if (s.command === undefined) s.command = {};
  const command = s.command;
  const us = (): number | undefined => (end - start >= 2 ? u16le(s.bytes, start) : undefined);
  switch (element) {
    case 0x0002:
      command.affectedSopClassUid = s.text(start, end);
      break;
    case 0x0003:
      command.requestedSopClassUid = s.text(start, end);
      break;
    case 0x0100:
      command.commandField = us();
      break;
    case 0x0110:
      command.messageId = us();
      break;
    case 0x0120:
      command.messageIdBeingRespondedTo = us();
      break;
    case 0x0600:
      command.moveDestination = s.text(start, end);
      break;
    case 0x0700:
      command.priority = us();
      break;
    case 0x0800:
      command.commandDataSetType = us();
      break;
    case 0x0900:
      command.status = us();
      break;
    case 0x1030:
      command.moveOriginatorAeTitle = s.text(start, end);
      break;
  }
}

/** Status classes of PS3.7 Annex C. */
export function dicomStatusCategory(status: number): DicomStatusCategory {
  if (status === 0) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116 || (status >= 0xb000 && status <= 0xbfff)) {
    return 'warning';
  }
  return 'failure';
}

const OPTIONAL_COMMAND_FIELDS = [
  'affectedSopClassUid',
  'requestedSopClassUid',
  'messageId',
  'messageIdBeingRespondedTo',
  'priority',
  'status',
  'moveDestination',
  'moveOriginatorAeTitle',
] as const satisfies readonly (keyof DicomCommand)[];

function finishCommand(partial: Scan['command']): DicomCommand | undefined {
  if (partial?.commandField === undefined) return undefined;
  const field = partial.commandField;
  const type = partial.commandDataSetType;
  const command: DicomCommand = {
    commandField: field,
    commandName: DICOM_COMMAND_FIELDS[field] ?? `unknown-0x${field.toString(16).padStart(4, '0')}`,
    isResponse: (field & 0x8000) !== 0,
    hasDataSet: type !== undefined && type !== 0x0101,
  };
  // Only the fields the command set had (no `undefined` members, and no `delete`, which would turn
  // every command object into a slow dictionary).
  for (const key of OPTIONAL_COMMAND_FIELDS) {
    const value = partial[key];
    if (value !== undefined) (command as unknown as Record<string, unknown>)[key] = value;
  }
  if (command.status !== undefined) command.statusCategory = dicomStatusCategory(command.status);
  return command;
}
