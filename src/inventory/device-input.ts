/**
 * @module What the CLI and the API may send to the inventory, validated once here with zod: device
 * attributes (add/update), list queries, and the conversion of zod's complaints into `{field, reason}`
 * issues. Vocabulary words and identifiers go through the same lenient parsers as a CMMS import.
 */

import { z } from 'zod';
import { type InputIssue, invalidInput } from '../errors.js';
import { pluralWord } from '../format-count.js';
import { DEVICE_SORTS } from '../store/device-store.js';
import {
  CRITICALITIES,
  DEVICE_STATES,
  type Parsed,
  parseCriticality,
  parseDeviceClass,
  parseEphi,
} from './device.js';
import { cleanText, parseHostname, parseIp, parseMac } from './identity.js';

/** Free text: trimmed, whitespace collapsed, empty → null. */
const text = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .transform((v) => cleanText(v))
    .nullable()
    .optional();

/** A string checked by one of the domain parsers; its reason becomes the issue. */
function parsedBy<T>(parse: (s: string) => Parsed<T>) {
  return z.string().transform((v, ctx): T => {
    const r = parse(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  });
}

const list = <T>(parse: (s: string) => Parsed<T>) =>
  z
    .array(parsedBy(parse))
    .max(64)
    .transform((v) => [...new Set(v)]);

const isoDate = z.iso.date('a date as YYYY-MM-DD');

/** ePHI as a boolean (API) or a spreadsheet word (CLI, CSV). */
const ephi = z.union([z.boolean(), z.string()]).transform((v, ctx): boolean | null => {
  if (typeof v === 'boolean') return v;
  const r = parseEphi(v);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.reason });
  return z.NEVER;
});

export const DeviceAttributesSchema = z.strictObject({
  assetTag: text(128),
  serialNumber: text(128),
  udi: text(256),
  manufacturer: text(200),
  model: text(200),
  modelNumber: text(100),
  deviceClass: parsedBy(parseDeviceClass).nullable().optional(),
  firmwareVersion: text(100),
  softwareVersion: text(100),
  os: text(100),
  osVersion: text(100),
  osEndOfSupport: isoDate.nullable().optional(),
  criticality: parsedBy(parseCriticality).nullable().optional(),
  ephi: ephi.nullable().optional(),
  site: text(200),
  building: text(100),
  floor: text(50),
  room: text(50),
  department: text(100),
  owner: text(200),
  lifecycleStatus: text(50),
  macs: list(parseMac).optional(),
  ips: list(parseIp).optional(),
  hostnames: list(parseHostname).optional(),
});
export type DeviceAttributesInput = z.input<typeof DeviceAttributesSchema>;

const oneOrMany = <T extends z.ZodType>(schema: T) =>
  z.union([schema, z.array(schema)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const DeviceQuerySchema = z.strictObject({
  site: z.string().min(1).max(200).optional(),
  deviceClass: parsedBy(parseDeviceClass).optional(),
  manufacturer: z.string().min(1).max(200).optional(),
  model: z.string().min(1).max(200).optional(),
  /** `none`: devices whose criticality is not set yet (the overview's "not set" bar). */
  criticality: z.enum([...CRITICALITIES, 'none']).optional(),
  ephi: ephi.optional(),
  seenSince: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'a date or date-time (ISO-8601)')
    .transform((v) => new Date(v).toISOString())
    .optional(),
  state: oneOrMany(z.enum(DEVICE_STATES)).optional(),
  q: z.string().min(1).max(200).optional(),
  osEndOfSupportBefore: z.iso.date().optional(),
  vulnerable: ephi.optional(),
  sort: z.enum(DEVICE_SORTS).default('assetTag'),
  order: z.enum(['asc', 'desc']).default('asc'),
});
export type DeviceQueryInput = z.input<typeof DeviceQuerySchema>;
export type DeviceQuery = z.output<typeof DeviceQuerySchema>;

export function zodIssues(error: z.ZodError, prefix?: string): InputIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.');
    const reason =
      i.code === 'unrecognized_keys'
        ? `unknown ${pluralWord(i.keys.length, 'field')}: ${i.keys.join(', ')}`
        : i.message;
    return field ? { field, reason } : { reason };
  });
}

/** Parses input with a schema, or throws invalid_input listing every problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidInput(`Invalid ${what}`, zodIssues(r.error));
  return r.data;
}
