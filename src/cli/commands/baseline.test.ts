/**
 * `vigil devices peers` and `vigil baseline …` in-process on a real capture (test/fixtures/captures,
 * see PROVENANCE.md there): tables, JSON, and errors that name what was wrong.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { loadConfig } from '../../config/config.js';
import type { AppContext } from '../../context.js';
import { resolveDevice, updateDevice } from '../../inventory/inventory-service.js';
import { createSite } from '../../inventory/site-service.js';
import { createLogger } from '../../log.js';
import type { VigilDatabase } from '../../store/database.js';
import type { CliContext } from '../cli-context.js';
import { registerBaselineCommands } from './baseline.js';
import { importSource } from './import.js';
import { registerPeersCommand } from './peers.js';

const capture = join(import.meta.dirname, '../../../test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap');
const LEGACY = '00:a0:aa:5b:00:40';

describe.each(DIALECTS)('vigil devices peers / baseline on %s', (dialect) => {
  let vdb: VigilDatabase;
  let ctx: AppContext;

  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
    ctx = {
      vdb,
      config: loadConfig({ env: {}, flags: { db: 'sqlite::memory:', logLevel: 'silent' } }),
      log: createLogger('silent'),
    };
    await importSource(vdb, cliActor, capture, { progress: false });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await vdb.close();
  });

  async function vigil(...args: string[]) {
    const program = new Command('vigil').exitOverride();
    program.command('devices');
    const cli = {
      get: async () => ctx,
      actor: () => cliActor,
      keepOpen: () => {},
      keptOpen: false,
      close: async () => {},
    } as CliContext;
    registerPeersCommand(program, cli);
    registerBaselineCommands(program, cli);
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      stdout += String(s);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      stderr += String(s);
      return true;
    });
    let error: unknown;
    try {
      await program.parseAsync(args, { from: 'user' });
    } catch (e) {
      error = e;
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    return { stdout, stderr, error };
  }

  it('prints peers as a table and as JSON', async () => {
    const table = await vigil('devices', 'peers', LEGACY);
    expect(table.error).toBeUndefined();
    expect(table.stdout).toMatch(/^PEER\s+DEVICE\s+ROLE\s+DIRECTION\s+PORTS/);
    expect(table.stdout).toContain('21/tcp,22/tcp,23/tcp,30002/tcp');
    // Peers are named as people name devices: the address until the inventory says more.
    expect(table.stdout).toMatch(/^10\.20\.0\.60 +10\.20\.0\.60 +unclassified +inbound +1883\/tcp /m);
    const pump = await resolveDevice(vdb, cliActor, '58:42:e4:10:00:60');
    await updateDevice(vdb, cliActor, pump.id, { assetTag: 'PUMP-60', deviceClass: 'infusion-pump' });
    expect((await vigil('devices', 'peers', LEGACY)).stdout).toMatch(
      /^10\.20\.0\.60 +PUMP-60 +infusion-pump +inbound +1883\/tcp /m,
    );
    const json = JSON.parse((await vigil('devices', 'peers', LEGACY, '--json')).stdout);
    expect(Object.keys(json.peers[0])).toEqual([
      'ip',
      'deviceId',
      'role',
      'deviceClass',
      'manufacturer',
      'model',
      'assetTag',
      'deviceLabel',
      'direction',
      'ports',
      'protocols',
      'connections',
      'packets',
      'bytes',
      'firstSeen',
      'lastSeen',
    ]);
  });

  it('learns, shows, denies with a reason and approves; refuses a bad kind by name', async () => {
    expect((await vigil('baseline', 'learn', '--days', '365')).stdout).toMatch(
      /^Learned \d+ device and \d+ model baselines/,
    );
    const shown = await vigil('baseline', 'show', LEGACY);
    expect(shown.stdout).toMatch(/Baseline of device .*: learning/);
    // The subject is named as people name the device, its id beside it; the list shows only the name.
    const { deviceId } = JSON.parse((await vigil('baseline', 'show', LEGACY, '--json')).stdout);
    expect(shown.stdout).toContain(`Baseline of device 10.20.0.40 (${deviceId}): learning`);
    const listed = await vigil('baseline', 'list', '--scope', 'device');
    expect(listed.stdout).toMatch(/^device +10\.20\.0\.40 +learning /m);
    expect(listed.stdout).not.toContain(deviceId);
    expect(shown.stdout).toMatch(/service\s+23\/tcp\s+allow\s+learned/);
    // The volume entry's outPerDay is an object: shown as its peer role|service keys, not "[object Object]".
    // The client 10.20.0.60 opened connections, so it has one.
    const client = await vigil('baseline', 'show', '58:42:e4:10:00:60');
    expect(client.stdout).not.toContain('[obj');
    expect(client.stdout).toMatch(/^volume\s+bytes-per-day\s+allow\s+learned\s+.*outPerDay=device/m);
    const denied = await vigil(
      'baseline',
      'deny',
      LEGACY,
      '--kind',
      'service',
      '--value',
      '23/tcp',
      '--reason',
      'Telnet off',
    );
    expect(denied.stdout).toBe(
      `Denied service "23/tcp" in baseline ${JSON.parse((await vigil('baseline', 'show', LEGACY, '--json')).stdout).id}.\n`,
    );
    const bad = await vigil(
      'baseline',
      'allow',
      LEGACY,
      '--kind',
      'colour',
      '--value',
      'x',
      '--reason',
      'why not',
    );
    expect(String((bad.error as Error)?.message ?? bad.stderr)).toMatch(/kind/);
    expect((await vigil('baseline', 'approve', '--all')).stdout).toMatch(/^Approved \d+ baselines?\.\n$/);
    const list = JSON.parse((await vigil('baseline', 'list', '--json', '--state', 'active')).stdout);
    expect(list.length).toBeGreaterThan(0);
    // "approved" is what approve does, not a state: refused with the states, not an empty table.
    const guess = await vigil('baseline', 'list', '--state', 'approved');
    expect(String((guess.error as Error)?.message ?? guess.stderr)).toMatch(/state: .*"learning"\|"active"/);
  });

  it('takes --site by id or name, and refuses a site that does not exist instead of learning nothing', async () => {
    const site = await createSite(vdb, cliActor, { name: 'North Campus' });
    for (const ref of [site.id, 'north campus']) {
      const byRef = await vigil('baseline', 'learn', '--site', ref, '--days', '365');
      expect(byRef.error).toBeUndefined();
      expect((await vigil('baseline', 'list', '--site', ref)).error).toBeUndefined();
    }
    for (const args of [
      ['baseline', 'learn', '--site', 'Nowhere'],
      ['baseline', 'list', '--site', 'Nowhere'],
      ['baseline', 'approve', '--all', '--site', 'Nowhere'],
    ]) {
      const r = await vigil(...args);
      expect(String((r.error as Error)?.message ?? r.stderr)).toMatch(/Site Nowhere not found/);
    }
  });
});
