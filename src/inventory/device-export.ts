/**
 * @module Devices as CSV or JSON text, streamed: one page of the store at a time, so an export of the
 * whole inventory never holds it in memory. The CSV uses the CMMS import's column names, so an export
 * can be edited and imported again (the extra columns, id, state and times, are ignored on import).
 */
import type { Actor } from '../accounts/actor.js';
import { csvCell } from '../formats/csv-cell.js';
import type { DbHandle } from '../store/transaction.js';
import type { Device } from './device.js';
import { streamDevices } from './inventory-service.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CSV_COLUMNS: [header: string, value: (d: Device) => string | null][] = [
  ['asset_tag', (d) => d.assetTag],
  ['serial_number', (d) => d.serialNumber],
  ['udi', (d) => d.udi],
  ['manufacturer', (d) => d.manufacturer],
  ['model', (d) => d.model],
  ['model_number', (d) => d.modelNumber],
  // No class is written as none: the import would take "unknown" as the CMMS declaring it.
  ['device_class', (d) => (d.deviceClass === 'unknown' ? null : d.deviceClass)],
  ['mac', (d) => d.macs.join(';')],
  ['ip', (d) => d.ips.join(';')],
  ['hostname', (d) => d.hostnames.join(';')],
  ['firmware_version', (d) => d.firmwareVersion],
  ['software_version', (d) => d.softwareVersion],
  ['os', (d) => d.os],
  ['os_version', (d) => d.osVersion],
  ['os_end_of_support', (d) => d.osEndOfSupport],
  ['site', (d) => d.site],
  ['building', (d) => d.building],
  ['floor', (d) => d.floor],
  ['room', (d) => d.room],
  ['department', (d) => d.department],
  ['owner', (d) => d.owner],
  ['criticality', (d) => d.criticality],
  ['ephi', (d) => (d.ephi === null ? null : d.ephi ? 'yes' : 'no')],
  ['status', (d) => d.lifecycleStatus],
  ['id', (d) => d.id],
  ['state', (d) => d.state],
  ['first_seen', (d) => d.firstSeen],
  ['last_seen', (d) => d.lastSeen],
  ['created_at', (d) => d.createdAt],
  ['updated_at', (d) => d.updatedAt],
];

export function deviceCsvHeader(): string {
  return `${CSV_COLUMNS.map(([h]) => h).join(',')}\n`;
}

export function deviceCsvLine(d: Device): string {
  return `${CSV_COLUMNS.map(([, f]) => csvCell(f(d))).join(',')}\n`;
}

/** Text chunks of the export; JSON is an array with one device per line. */
export async function* exportDevices(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  format: ExportFormat,
  opts: { limit?: number | undefined } = {},
): AsyncGenerator<string> {
  const devices = streamDevices(h, actor, query, { limit: opts.limit });
  if (format === 'csv') {
    yield deviceCsvHeader();
    for await (const d of devices) yield deviceCsvLine(d);
    return;
  }
  let first = true;
  yield '[';
  for await (const d of devices) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(d)}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}
