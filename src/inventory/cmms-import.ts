/**
 * @module Imports a CMMS export into the inventory. Rows are matched to devices by the identity rules
 * (one preload of every record the file's keys reach, not a query per row), compared with what the
 * CMMS declared last time, and written in batches in one transaction with one `devices.import` audit
 * entry. All or nothing by default: any bad row rejects the file and leaves the database untouched.
 * With `skipBadRows` good rows are stored and bad ones reported; `dryRun` reports what would happen.
 * Re-importing a file changes nothing: unchanged rows are not written at all.
 */

import { basename } from 'node:path';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { type InputIssue, invalidInput } from '../errors.js';
import { plural, pluralWord } from '../format-count.js';
import { shortValue } from '../formats/short-value.js';
import { rematchDevices } from '../matching/rematch.js';
import { factValuesOf, getDevices, lockInventory, type StoredDevice } from '../store/device-store.js';
import { newId, nowIso } from '../store/ids.js';
import { findSitesByKeys, missingSites, siteNameKey } from '../store/site-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type CsvInput, type HeaderMapping, parseCmmsCsv } from './cmms-csv.js';
import { isNoop, planDeviceChanges } from './device-changes.js';
import { currentOf, type PendingWrite, writeDeviceChanges } from './device-writer.js';
import { resolveIdentity } from './identity.js';
import { loadIdentityIndex } from './identity-lookup.js';

export interface CmmsImportOptions {
  /** The file's name as the user knows it; its base name goes into issues and fact references. */
  file: string;
  input: CsvInput;
  mapping?: HeaderMapping;
  dryRun?: boolean;
  skipBadRows?: boolean;
  /** How the caller's user asks for skipBadRows, for the refusal's advice (`--skip-bad-rows` by default). */
  skipBadRowsHint?: string;
}

export type RowOutcome = 'created' | 'updated' | 'unchanged';

export interface CmmsImportResult {
  file: string;
  dryRun: boolean;
  skipBadRows: boolean;
  /** Data rows in the file (blank rows not counted). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  sitesCreated: string[];
  manufacturersCreated: number;
  modelsCreated: number;
  ignoredColumns: string[];
  issues: InputIssue[];
  warnings: InputIssue[];
  /** One entry per stored (or, in a dry run, storable) row. */
  devices: { line: number; deviceId: string; outcome: RowOutcome; changed: string[] }[];
  durationMs: number;
}

/** `created 3, updated 1, unchanged 20, rejected 2` */
export function importSummary(
  r: Pick<CmmsImportResult, 'created' | 'updated' | 'unchanged' | 'rejected'>,
): string {
  return `created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}`;
}

export async function importCmmsCsv(
  h: DbHandle,
  actor: Actor,
  opts: CmmsImportOptions,
): Promise<CmmsImportResult> {
  assertCan(actor, 'devices:import');
  const started = performance.now();
  const file = basename(opts.file) || 'import.csv';
  const parsed = await parseCmmsCsv(opts.input, { file, ...(opts.mapping ? { mapping: opts.mapping } : {}) });
  if (parsed.fatal)
    throw invalidInput(
      `Cannot import ${file}: ${parsed.issues[0]?.reason ?? 'unreadable file'}`,
      parsed.issues,
    );

  const result: CmmsImportResult = {
    file,
    dryRun: Boolean(opts.dryRun),
    skipBadRows: Boolean(opts.skipBadRows),
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    sitesCreated: [],
    manufacturersCreated: 0,
    modelsCreated: 0,
    ignoredColumns: parsed.ignoredColumns,
    issues: [...parsed.issues],
    warnings: [...parsed.warnings],
    devices: [],
    durationMs: 0,
  };

  const outcome = await transaction(h, async (tx) => {
    await lockInventory(tx);
    const index = await loadIdentityIndex(
      tx,
      parsed.rows.map((r) => r.keys),
    );
    const rowIssue = (line: number, reason: string, field?: string) =>
      result.issues.push({ file, line, ...(field ? { field } : {}), reason });

    // Which device each row is, by the identity rules; two rows may not land on one device.
    const matched = new Map<string, number>();
    const accepted: { row: (typeof parsed.rows)[number]; deviceId: string | null }[] = [];
    for (const row of parsed.rows) {
      const r = resolveIdentity(row.keys, index);
      if (r.kind === 'conflict') {
        rowIssue(
          row.line,
          `conflicts with the inventory: ${r.reason}; settle it with vigil devices update/merge`,
        );
        continue;
      }
      if (r.kind === 'match') {
        const other = matched.get(r.deviceId);
        if (other !== undefined) {
          rowIssue(row.line, `is the same device (${r.deviceId}) as line ${other}`);
          continue;
        }
        matched.set(r.deviceId, row.line);
        accepted.push({ row, deviceId: r.deviceId });
        continue;
      }
      if (r.kind === 'weak') {
        result.warnings.push({
          file,
          line: row.line,
          reason: `shares ${r.matchedBy.join(' and ')} with ${pluralWord(r.deviceIds.length, 'device')} ${r.deviceIds.join(', ')}; imported as a separate device (an address alone does not identify a device)`,
        });
      }
      accepted.push({ row, deviceId: null });
    }

    const existing = new Map<string, StoredDevice>();
    for (const d of await getDevices(
      tx,
      accepted.flatMap((a) => (a.deviceId ? [a.deviceId] : [])),
    )) {
      existing.set(d.id, d);
    }
    const cmmsFacts = await factValuesOf(tx, [...existing.keys()], 'cmms');
    // A site-limited actor imports only into its own sites.
    let scoped = accepted;
    if (actor.siteIds) {
      const allowed = new Set(actor.siteIds);
      const names = [
        ...new Set(accepted.map((a) => a.row.attrs.site).filter((s): s is string => Boolean(s))),
      ];
      const known = new Map(
        (await findSitesByKeys(tx, names.map(siteNameKey))).map((s) => [s.name_key, s.id]),
      );
      scoped = accepted.filter((a) => {
        const current = a.deviceId ? existing.get(a.deviceId) : undefined;
        const site = a.row.attrs.site ?? current?.site ?? null;
        const id = site ? known.get(siteNameKey(site)) : current?.siteId;
        if (id && allowed.has(id)) return true;
        rowIssue(
          a.row.line,
          site
            ? `site "${shortValue(site)}" is not one of your sites`
            : 'has no site; your access is limited to sites',
          'site',
        );
        return false;
      });
    }

    const writes: PendingWrite[] = [];
    for (const { row, deviceId } of scoped) {
      const current = deviceId ? existing.get(deviceId)! : null;
      const plan = planDeviceChanges(current ? currentOf(current) : null, row.attrs, {
        baseline: 'facts',
        sourceFacts: (deviceId && cmmsFacts.get(deviceId)) || new Map(),
        identifiers: 'add',
      });
      const id = deviceId ?? newId();
      const changed = Object.keys(plan.changes);
      if (current && isNoop(plan)) {
        result.devices.push({ line: row.line, deviceId: id, outcome: 'unchanged', changed });
        continue;
      }
      // Confirming a discovered device is a triage decision; a row can make it without anyone meaning
      // to (a Vigil export imported back carries every staged device), so say which rows do.
      if (current?.state === 'staged' && plan.state === 'active') {
        result.warnings.push({
          file,
          line: row.line,
          reason: `confirms device ${id}, which was discovered on the network and not yet reviewed (staged)`,
        });
      }
      result.devices.push({
        line: row.line,
        deviceId: id,
        outcome: current ? 'updated' : 'created',
        changed,
      });
      writes.push({ deviceId: id, current, plan, sourceRef: `${file}:${row.line}` });
    }

    result.issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const rejectedLines = new Set(
      result.issues.filter((i) => i.line !== undefined && i.line > 1).map((i) => i.line),
    );
    result.rejected = rejectedLines.size;
    result.rows = parsed.rowCount;
    for (const d of result.devices) result[d.outcome]++;

    if (result.dryRun) {
      // A misspelt site would be created by the real run: the check says which names are new.
      result.sitesCreated = await missingSites(
        tx,
        writes.flatMap((w) => (w.plan.site ? [w.plan.site] : [])),
      );
      return 'dry-run' as const;
    }
    if (result.rejected && !result.skipBadRows) return 'rejected' as const;

    const now = nowIso();
    const written = await writeDeviceChanges(tx, writes, { source: 'cmms', now, newDeviceState: 'active' });
    result.sitesCreated = written.sitesCreated;
    result.manufacturersCreated = written.manufacturersCreated;
    result.modelsCreated = written.modelsCreated;
    await appendAudit(tx, {
      actor,
      action: 'devices.import',
      target: { type: 'import', id: file },
      summary: {
        file,
        rows: result.rows,
        created: result.created,
        updated: result.updated,
        unchanged: result.unchanged,
        rejected: result.rejected,
        skipBadRows: result.skipBadRows,
        sitesCreated: written.sitesCreated.length,
        manufacturersCreated: written.manufacturersCreated,
        modelsCreated: written.modelsCreated,
      },
    });
    return 'written' as const;
  });

  if (outcome === 'written') {
    await rematchDevices(
      h,
      actor,
      result.devices.filter((d) => d.outcome !== 'unchanged').map((d) => d.deviceId),
    );
  }
  result.durationMs = Math.round(performance.now() - started);
  if (outcome === 'rejected') {
    throw invalidInput(
      `${file}: ${result.rejected} of ${plural(result.rows, 'row')} rejected; nothing was imported (fix them, or use ${opts.skipBadRowsHint ?? '--skip-bad-rows'} to import the good rows)`,
      result.issues,
    );
  }
  return result;
}
