/**
 * @module Test support (not shipped): loads the HL7 fixtures of test/fixtures/dissect/hl7 (real MLLP
 * traffic of node-hl7-client, simple-hl7 and python-hl7; Microsoft FHIR-Converter sample messages; see
 * PROVENANCE.md there), tshark's dissection and python-hl7's reading of the same messages.
 */
import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../../test/fixtures/dissect/hl7/', import.meta.url);
const HL7_PORT = '2575';

export interface Hl7Segment {
  stream: number;
  frame: number;
  direction: 'client' | 'server';
  bytes: Uint8Array;
}

/** The payload-bearing TCP segments of 04-hl7-mllp.pcap, in capture order. */
export function mllpSegments(): Hl7Segment[] {
  return readFileSync(new URL('shared-hl7-mllp.tsv', DIR), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [stream, frame, src, , hex] = line.split('\t');
      return {
        stream: Number(stream),
        frame: Number(frame),
        direction: src === HL7_PORT ? 'server' : 'client',
        bytes: new Uint8Array(Buffer.from(hex!, 'hex')),
      };
    });
}

/** The sample message files, as read from disk (LF line ends, some with a UTF-8 BOM). */
export function samples(): { name: string; text: string }[] {
  const dir = new URL('samples/', DIR);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.hl7'))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, dir), 'utf8') }));
}

/** python-hl7's reading (python-hl7-expected.py), keyed `frame-N` or sample file name. */
export interface PythonHl7Expected {
  'MSH-3': (string | null)[];
  'MSH-4': (string | null)[];
  'MSH-5': (string | null)[];
  'MSH-6': (string | null)[];
  'MSH-7': string | null;
  'MSH-9': (string | null)[];
  'MSH-10': string | null;
  'MSH-11': string | null;
  'MSH-12': string | null;
  segments: string[];
  /** `SEG#occurrence-field` */
  identifying: string[];
  MSA: [string | null, string | null] | null;
}
export function pythonHl7Expected(): Record<string, PythonHl7Expected> {
  return JSON.parse(readFileSync(new URL('python-hl7-expected.json', DIR), 'utf8'));
}

/** tshark's HL7 dissection per frame: segments with the fields it printed (tshark numbers the id as field 1). */
export function tsharkHl7(): Map<number, { id: string; fields: Map<number, string> }[]> {
  const frames = new Map<number, { id: string; fields: Map<number, string> }[]>();
  let current: { id: string; fields: Map<number, string> }[] = [];
  for (const line of readFileSync(new URL('tshark-hl7.txt', DIR), 'utf8').split('\n')) {
    const frame = /^Frame (\d+):/.exec(line);
    if (frame !== null) {
      current = [];
      frames.set(Number(frame[1]), current);
      continue;
    }
    const segment = /^ {4}([A-Z][A-Z0-9]{2}) /.exec(line);
    if (segment !== null) {
      current.push({ id: segment[1]!, fields: new Map() });
      continue;
    }
    const field = /^ {8}field (\d+): (.*)$/.exec(line);
    if (field !== null) current.at(-1)?.fields.set(Number(field[1]), field[2]!);
  }
  return frames;
}

/**
 * Patient values in the captured messages and samples (PID/NK1/IN1 names, MRNs, dates of birth, SSNs,
 * addresses, phones, e-mail): none may ever appear in a result.
 */
export const HL7_PATIENT_VALUES = [
  'HARTMANN',
  'ELENA',
  'MRN00482913',
  '19670314',
  '987-65-4321',
  'WILLOW CREEK',
  '555-0143',
  'elena.hartmann@example.org',
  'ACC884213',
  'PAUL',
  '555-0188',
  'XGH884213001',
  'OKAFOR',
  'DANIEL',
  'MRN00771045',
  '19541102',
  '987-65-4322',
  'HARBOR VIEW',
  '555-0177',
  'ACC990045',
];
