import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturePacket } from '../../capture/capture-packet.js';
import type { CaptureIssue } from '../../capture/capture-stats.js';
import { VigilError } from '../../errors.js';
import {
  assertInterfaceExists,
  type CaptureToolEvent,
  CaptureToolSource,
  captureToolArgs,
  resolveCaptureTool,
  validateFilter,
  validateInterfaceName,
} from './capture-tool.js';
import type { PacketSink, Sleep } from './packet-source.js';

const fixture = join(import.meta.dirname, 'fixtures/04-hl7-mllp.pcap');

describe('interface names and filters', () => {
  it('accepts real interface names', () => {
    for (const n of ['eth0', 'enp0s31f6', 'br0.100', 'veth-vg0', 'wlan0', 'any', 'ifb1', 'bond0@x'])
      expect(validateInterfaceName(n)).toBe(n);
  });

  it('refuses names that could be options, paths or aliases', () => {
    for (const n of ['', '-w', '--', 'a/b', 'eth0:1', 'a b', '.', '..', 'x'.repeat(16), 'eth\n0', 'é'])
      expect(() => validateInterfaceName(n)).toThrow(VigilError);
  });

  it('never accepts a name starting with "-" or holding "/", ":" or whitespace (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        let ok = true;
        try {
          validateInterfaceName(s);
        } catch {
          ok = false;
        }
        if (s.startsWith('-') || /[/:\s]/.test(s) || s.length === 0 || s.length > 15) expect(ok).toBe(false);
      }),
    );
  });

  it('refuses control characters in filters', () => {
    expect(validateFilter('tcp port 104 and host 10.0.0.1')).toBeTruthy();
    expect(() => validateFilter('tcp\nport 1')).toThrow(/control characters/);
    expect(() => validateFilter('x'.repeat(5000))).toThrow(/4096/);
  });
});

describe('captureToolArgs', () => {
  const hostile = 'port 80; rm -rf / $(reboot) `id` -w /etc/passwd';
  it('tcpdump: packet-buffered pcap on stdout, the filter one argument after --', () => {
    const args = captureToolArgs('tcpdump', { interface: 'eth0', filter: hostile, snaplen: 1500 });
    expect(args).toEqual(['-i', 'eth0', '-U', '-n', '-s', '1500', '-w', '-', '--', hostile]);
  });
  it('dumpcap: classic pcap, quiet, the filter as the value of -f', () => {
    const args = captureToolArgs('dumpcap', { interface: 'eth0', filter: hostile });
    expect(args).toEqual(['-i', 'eth0', '-P', '-q', '-f', hostile, '-w', '-']);
    expect(captureToolArgs('dumpcap', { interface: 'eth0' })).toEqual(['-i', 'eth0', '-P', '-q', '-w', '-']);
  });
});

/** A directory holding executables with the given names and shell bodies (stand-ins for the real tools). */
function toolDir(tools: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tools-'));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('resolveCaptureTool', () => {
  it('auto prefers dumpcap, falls back to tcpdump, and names the package when neither is there', () => {
    const both = toolDir({ dumpcap: 'exit 0', tcpdump: 'exit 0' });
    const onlyTcpdump = toolDir({ tcpdump: 'exit 0' });
    const none = mkdtempSync(join(tmpdir(), 'vigil-tools-'));
    expect(resolveCaptureTool('auto', [none, both])).toEqual({
      tool: 'dumpcap',
      path: join(both, 'dumpcap'),
    });
    expect(resolveCaptureTool('auto', [onlyTcpdump])).toEqual({
      tool: 'tcpdump',
      path: join(onlyTcpdump, 'tcpdump'),
    });
    expect(resolveCaptureTool('tcpdump', [both]).tool).toBe('tcpdump');
    expect(() => resolveCaptureTool('dumpcap', [onlyTcpdump])).toThrow(
      /dumpcap is not installed.*wireshark-common/,
    );
    expect(() => resolveCaptureTool('auto', [none])).toThrow(/dumpcap or tcpdump is not installed/);
  });

  it('skips files that are not executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tools-'));
    writeFileSync(join(dir, 'tcpdump'), 'not executable');
    chmodSync(join(dir, 'tcpdump'), 0o644);
    expect(() => resolveCaptureTool('tcpdump', [dir])).toThrow(/not installed/);
  });
});

describe('assertInterfaceExists', () => {
  it('checks /sys/class/net and says what to do', () => {
    const sys = mkdtempSync(join(tmpdir(), 'vigil-sysnet-'));
    mkdirSync(join(sys, 'eth0'));
    expect(() => assertInterfaceExists('eth0', sys)).not.toThrow();
    expect(() => assertInterfaceExists('any', sys)).not.toThrow();
    expect(() => assertInterfaceExists('eth9', sys)).toThrow(/No network interface named eth9/);
  });
});

class CountingSink implements PacketSink {
  packets = 0;
  streams = 0;
  issueList: CaptureIssue[] = [];
  beginStream() {
    this.streams++;
  }
  packet(_p: CapturePacket) {
    this.packets++;
  }
  issues(list: readonly CaptureIssue[]) {
    this.issueList.push(...list);
  }
  afterApplied() {}
}

describe('CaptureToolSource restarts (a stand-in tool process, fake clock)', () => {
  it('restarts a tool that keeps dying with growing delays, reporting each exit, and keeps the packets', async () => {
    // Behaves as tcpdump does when its interface goes away after capturing: says it listens, writes a
    // pcap stream, exits 1.
    const dir = toolDir({
      tcpdump: `echo "tcpdump: listening on $2, link-type EN10MB" >&2\ncat '${fixture}'\nexit 1`,
    });
    const stop = new AbortController();
    const delays: number[] = [];
    let clock = 0;
    const sleep: Sleep = async (ms) => {
      delays.push(ms);
      clock += ms;
      if (delays.length === 3) stop.abort();
    };
    const events: CaptureToolEvent[] = [];
    const sut = new CaptureToolSource({
      interface: 'any',
      tool: 'tcpdump',
      searchPath: [dir],
      sleep,
      now: () => clock,
      onEvent: (e) => events.push(e),
    });
    const sink = new CountingSink();
    await sut.run(sink, stop.signal);
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(sink.packets).toBe(3 * 78);
    expect(sink.streams).toBe(3);
    expect(events.filter((e) => e.type === 'started').map((e) => (e as { start: number }).start)).toEqual([
      1, 2, 3,
    ]);
    const exits = events.filter((e) => e.type === 'exited');
    expect(exits).toHaveLength(3);
    expect(exits[0]).toMatchObject({ exit: { code: 1, signal: null, bytes: 10_139 }, restartInMs: 1000 });
    expect((exits[0] as { exit: { stderr: string } }).exit.stderr).toContain('listening on any');
    expect(sut.status()).toMatchObject({
      tool: 'tcpdump',
      starts: 3,
      restarts: 2,
      state: 'stopped',
      pid: null,
    });
  });

  it('fails hard, with what the tool said, when the first start never gets to capture', async () => {
    const dir = toolDir({
      tcpdump: `echo "tcpdump: can't parse filter expression: syntax error" >&2\nexit 1`,
    });
    const sut = new CaptureToolSource({
      interface: 'any',
      tool: 'tcpdump',
      filter: 'bogus (',
      searchPath: [dir],
    });
    const err = await sut.run(new CountingSink(), new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('configuration');
    expect((err as VigilError).message).toMatch(
      /tcpdump could not start capturing on any \(exit 1\).*syntax error/,
    );
    expect(sut.status()).toMatchObject({ state: 'failed', starts: 1 });
  });

  it("fails hard on dumpcap's bad filter, though dumpcap says 'Capturing on' before it checks the filter", async () => {
    // dumpcap 4.0's own words for `-f 'port 80 and ('`: it names the interface, then refuses the filter.
    const dir = toolDir({
      dumpcap: [
        `echo "Capturing on '$2'" >&2`,
        `echo 'dumpcap: Invalid capture filter "port 80 and (" for interface.' >&2`,
        `echo "That string isn't a valid capture filter (can't parse filter expression: syntax error)." >&2`,
        'exit 1',
      ].join('\n'),
    });
    const sut = new CaptureToolSource({
      interface: 'any',
      tool: 'dumpcap',
      filter: 'port 80 and (',
      searchPath: [dir],
      // Were it restarted, the test would end here instead of spinning.
      sleep: () => Promise.reject(new Error('restarted')),
    });
    const sink = new CountingSink();
    const err = await sut.run(sink, new AbortController().signal).catch((e: unknown) => e);
    // Nothing was written, so there is no "empty input" reader warning ahead of the real reason.
    expect(sink.issueList).toEqual([]);
    expect((err as VigilError).code).toBe('configuration');
    expect((err as VigilError).message).toMatch(
      /dumpcap could not start capturing on any \(exit 1\).*syntax error/s,
    );
    expect(sut.status()).toMatchObject({ state: 'failed', starts: 1 });
  });

  it('points at setcap when the tool lacks the capture privilege', async () => {
    const dir = toolDir({
      dumpcap: `echo "dumpcap: You don't have permission to capture on that device (socket: Operation not permitted)" >&2\nexit 2`,
    });
    const sut = new CaptureToolSource({ interface: 'any', searchPath: [dir] });
    await expect(sut.run(new CountingSink(), new AbortController().signal)).rejects.toThrow(/setcap/);
  });

  it('fails hard when the interface does not exist, before starting anything', async () => {
    const dir = toolDir({ tcpdump: 'exit 0' });
    const sut = new CaptureToolSource({ interface: 'vigil-nope0', tool: 'tcpdump', searchPath: [dir] });
    await expect(sut.run(new CountingSink(), new AbortController().signal)).rejects.toThrow(
      /No network interface named vigil-nope0/,
    );
    expect(sut.status().starts).toBe(0);
  });

  it('stops the running tool when aborted', async () => {
    const dir = toolDir({ tcpdump: `echo "listening on $2" >&2\ncat '${fixture}'\nexec sleep 600` });
    const stop = new AbortController();
    const sink = new CountingSink();
    const sut = new CaptureToolSource({ interface: 'any', tool: 'tcpdump', searchPath: [dir] });
    const running = sut.run(sink, stop.signal);
    while (sink.packets < 78) await new Promise((r) => setTimeout(r, 20));
    expect(sut.pid).toBeGreaterThan(0);
    stop.abort();
    await running;
    expect(sut.status()).toMatchObject({ state: 'stopped', restarts: 0, pid: null });
  });
});
