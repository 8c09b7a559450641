/**
 * @module Zeek's JSON log format (`LogAscii::use_json=T`, json-streaming-logs): one object per line with
 * dotted field names (`id.orig_h`), `ts` as epoch seconds or, with `JSON::TS_ISO8601`, as ISO-8601 text,
 * sets and vectors as arrays, unset fields left out. Nested objects (some writers and shippers nest `id`)
 * are flattened back into dotted names so both formats give the same fields. Pure; never throws.
 * @see https://docs.zeek.org/en/master/logs/index.html#zeek-json-format-logs
 */
import type { ZeekFields, ZeekValue } from './zeek-tsv.js';

export type JsonRow = { path: string | null; fields: ZeekFields } | { error: string };

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function flatten(
  obj: Record<string, unknown>,
  prefix: string,
  out: ZeekFields,
  depth: number,
): string | null {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined) continue;
    if (isScalar(v)) out[name] = v;
    else if (Array.isArray(v)) {
      if (!v.every(isScalar)) return `${name}: arrays of objects are not Zeek values`;
      out[name] = v as ZeekValue;
    } else if (typeof v === 'object') {
      if (depth > 8) return `${name}: nested too deep`;
      const err = flatten(v as Record<string, unknown>, name, out, depth + 1);
      if (err) return err;
    }
  }
  return null;
}

export function parseJsonRow(line: string): JsonRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message.slice(0, 100)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { error: 'a JSON log line must be an object' };
  const fields: ZeekFields = {};
  const err = flatten(parsed as Record<string, unknown>, '', fields, 0);
  if (err) return { error: err };
  const path = typeof fields._path === 'string' ? fields._path : null;
  return { path, fields };
}
