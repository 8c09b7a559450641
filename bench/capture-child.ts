/**
 * @module One capture measurement in a process of its own, so peak memory is that of the measured work
 * alone: `node .bench-out/capture-child.mjs analyze|reader|walk FILE` prints one JSON line.
 * - analyze: Vigil's whole passive pipeline without a database (read, decode, TCP reassembly, every
 *   dissector, fingerprinting, findings);
 * - reader: read + decode + flow tracking only;
 * - walk: the bare record-header walk (the practical ceiling of a JavaScript reader).
 */
import { statSync } from 'node:fs';
import { analyzeCapture } from '../src/discovery/capture-analyzer.js';
import { limitHeapGrowth } from '../src/heap-growth.js';
import { bareWalk, readerThroughput } from './capture-walk.js';

const [mode, file] = process.argv.slice(2);
if (!file || !mode) throw new Error('usage: capture-child.mjs analyze|reader|walk FILE');
// As `vigil import` and `vigil analyze` run (src/heap-growth.ts).
limitHeapGrowth();
const bytes = statSync(file).size;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let extra: Record<string, unknown> = {};
let packets = 0;
if (mode === 'analyze') {
  const r = await analyzeCapture(file, { file });
  packets = r.stats.packets;
  extra = { hosts: r.hosts.length, findings: r.findings.length, connections: r.stats.tcp.connections };
} else if (mode === 'reader') {
  const r = await readerThroughput(file);
  packets = r.packets;
  extra = { connections: r.tcpConnections, reassembledBytes: r.reassembledBytes };
} else {
  packets = (await bareWalk(file, 'stream')).packets;
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
// CPU seconds (user + system) as well: on a shared VM wall clock swings several-fold between runs.
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ mode, bytes, packets, seconds, cpuSeconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...extra })}\n`,
);
