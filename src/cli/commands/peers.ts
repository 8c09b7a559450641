/**
 * @module `vigil devices peers DEVICE [--json]`: who a device talks with, from the stored communications.
 * Registered under the existing `devices` command group.
 */
import type { Command } from 'commander';
import { formatBytes } from '../../format-bytes.js';
import { devicePeers } from '../../monitor/baseline/peers.js';
import type { CliContext } from '../cli-context.js';
import { formatTable, printJson } from '../io.js';
import { action } from '../run-command.js';

export function registerPeersCommand(program: Command, cli: CliContext): void {
  const devices = program.commands.find((c) => c.name() === 'devices') ?? program.command('devices');
  devices
    .command('peers')
    .description('Who a device talks with: peer role, ports, protocols, volume, first and last seen')
    .argument('<device>', 'device id, MAC, asset tag, serial or UDI')
    .option('--since <time>', 'only communications last seen at or after this ISO-8601 time')
    .option('--json', 'print {deviceId, peers: [...]} as JSON')
    .action(
      action(async (ref: string, o: { since?: string; json?: boolean }) => {
        const { vdb } = await cli.get();
        const r = await devicePeers(vdb, cli.actor(), ref, o.since ? { since: o.since } : {});
        if (o.json) return printJson(r);
        if (r.peers.length === 0)
          return void process.stdout.write('No communications recorded for this device.\n');
        process.stdout.write(
          formatTable(
            [
              'PEER',
              'DEVICE',
              'ROLE',
              'DIRECTION',
              'PORTS',
              'PROTOCOLS',
              'CONNS',
              'VOLUME',
              'FIRST SEEN',
              'LAST SEEN',
            ],
            r.peers.map((p) => [
              p.ip,
              p.deviceLabel ?? '-',
              roleColumn(p),
              p.direction,
              p.ports.slice(0, 6).join(',') + (p.ports.length > 6 ? ` +${p.ports.length - 6}` : ''),
              p.protocols.join(','),
              p.connections,
              formatBytes(p.bytes),
              p.firstSeen,
              p.lastSeen,
            ]),
          ),
        );
      }),
    );
}

/**
 * A peer's role for the table: its class when known; an unclassified peer's own role (`device:<id>`,
 * `host:<address>`) only repeats the DEVICE and PEER columns, so it is said in words.
 */
function roleColumn(p: { role: string; deviceClass: string | null }): string {
  if (p.deviceClass && p.deviceClass !== 'unknown') return p.deviceClass;
  if (p.role.startsWith('device:')) return 'unclassified';
  if (p.role.startsWith('host:')) return 'unknown-host';
  return p.role;
}
