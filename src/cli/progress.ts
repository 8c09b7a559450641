/**
 * @module A one-line progress display on a terminal's standard error: bytes processed (of the total when
 * known), throughput, packets per second and hosts found. Redrawn at most ten times a second; silent when
 * standard error is not a terminal, or with --quiet/--json.
 */
import { plural } from '../format-count.js';

export interface ProgressSnapshot {
  bytes: number;
  packets: number;
  hosts: number;
}

export class ProgressLine {
  private started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly totalBytes: number | undefined,
    private readonly enabled = Boolean(process.stderr.isTTY),
  ) {}

  update(s: ProgressSnapshot, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const mb = s.bytes / 1e6;
    const of = this.totalBytes
      ? ` of ${(this.totalBytes / 1e6).toFixed(1)} MB (${Math.min(100, (100 * s.bytes) / this.totalBytes).toFixed(0)}%)`
      : ' MB';
    const line = `${this.label}: ${mb.toFixed(1)}${of}, ${(mb / secs).toFixed(1)} MB/s, ${Math.round(s.packets / secs).toLocaleString('en-US')} packets/s, ${plural(s.hosts, 'host')}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
    this.drawn = true;
  }

  done(): void {
    if (this.enabled && this.drawn) process.stderr.write('\r\x1b[2K');
  }
}
