import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chunked,
  fixtureBytes,
  fixturePath,
  readAllPackets,
  tsharkFrames,
} from '../../test/fixtures/captures/capture-fixtures.js';
import type { CapturePacket } from './capture-packet.js';
import { detectCaptureFormat, openCapture, readCapture } from './open-capture.js';

const work = mkdtempSync(join(tmpdir(), 'vigil-capture-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function collect(capture: AsyncIterable<CapturePacket>) {
  const out: { index: number; offset: number; data: Uint8Array }[] = [];
  for await (const p of capture)
    out.push({ index: p.index, offset: p.offset, data: Uint8Array.from(p.data) });
  return out;
}

describe('detectCaptureFormat', () => {
  it('knows the pcap and pcapng magic numbers', () => {
    expect(detectCaptureFormat(0xa1b2c3d4)).toBe('pcap');
    expect(detectCaptureFormat(0xd4c3b2a1)).toBe('pcap');
    expect(detectCaptureFormat(0xa1b23c4d)).toBe('pcap');
    expect(detectCaptureFormat(0x4d3cb2a1)).toBe('pcap');
    expect(detectCaptureFormat(0x0a0d0d0a)).toBe('pcapng');
    expect(detectCaptureFormat(0x464c457f)).toBeUndefined();
  });
});

describe('openCapture', () => {
  it.each([
    ['04-hl7-mllp.pcap', 'pcap'],
    ['hl7-nsec-be.pcap', 'pcap'],
    ['06-http-tls.pcapng', 'pcapng'],
    ['telnet-be.pcapng', 'pcapng'],
  ])('opens %s by path and detects %s', async (name, format) => {
    const capture = openCapture(fixturePath(name), { chunkBytes: 4096 });
    const packets = await collect(capture);
    expect(capture.format).toBe(format);
    expect(capture.compressed).toBe(false);
    expect(packets.length).toBe(tsharkFrames(name).length);
    expect(capture.stats.file).toBe(fixturePath(name));
    expect(capture.stats.bytes).toBe(fixtureBytes(name).length);
    expect(capture.stats.sourceBytes).toBe(fixtureBytes(name).length);
  });

  it('decompresses gzip on the fly (pcap and pcapng, any chunking), offsets in the decompressed stream', async () => {
    for (const name of ['07-telnet-ftp-ssh-mqtt.pcap', '06-http-tls.pcapng']) {
      const plain = fixtureBytes(name);
      const gz = gzipSync(plain);
      const file = join(work, `${name}.gz`);
      writeFileSync(file, gz);
      const expected = (await readAllPackets(plain)).packets;
      const fromFile = openCapture(file);
      const packets = await collect(fromFile);
      expect(fromFile.compressed).toBe(true);
      expect(packets.map((p) => [p.index, p.offset])).toEqual(expected.map((p) => [p.index, p.offset]));
      expect(packets.map((p) => p.data)).toEqual(expected.map((p) => p.data));
      expect([fromFile.stats.bytes, fromFile.stats.sourceBytes]).toEqual([plain.length, gz.length]);
      const tiny = await readAllPackets(gz, [1, 2, 3]);
      expect(tiny.packets.length).toBe(expected.length);
    }
  });

  it('reports a truncated gzip stream as an issue and keeps the packets before the cut', async () => {
    const plain = fixtureBytes('04-hl7-mllp.pcap');
    const gz = gzipSync(plain);
    const capture = readCapture(chunked(gz.subarray(0, gz.length - 2000), [512]), { file: 'cut.pcap.gz' });
    const packets = await collect(capture);
    expect(packets.length).toBeGreaterThan(10);
    expect(packets.length).toBeLessThan(78);
    expect(capture.stats.issues.map((i) => i.reason)).toContain('gzip: unexpected end of file');
  });

  it('reads concatenated gzip members as one stream, and reports trailing garbage without throwing', async () => {
    const plain = fixtureBytes('04-hl7-mllp.pcap');
    const members = Buffer.concat([gzipSync(plain.subarray(0, 5000)), gzipSync(plain.subarray(5000))]);
    const multi = readCapture(chunked(members, [700]));
    expect((await collect(multi)).length).toBe(78);
    expect(multi.stats.issues).toEqual([]);
    const garbage = readCapture(chunked(Buffer.concat([gzipSync(plain), Buffer.from('not gzip')]), [4096]));
    expect((await collect(garbage)).length).toBeLessThanOrEqual(78);
    expect(garbage.stats.issues.map((i) => i.reason)).toContain('gzip: incorrect header check');
  });

  it('reads standard input for "-" (a child process stream)', async () => {
    const child = spawn('cat', [fixturePath('04-hl7-mllp-vlan30.pcap')]);
    const capture = openCapture('-', { stdin: child.stdout });
    const packets = await collect(capture);
    expect(packets.length).toBe(78);
    expect(capture.stats.file).toBe('stdin');
  });

  it('reads a capture piped into a real process’s standard input', async () => {
    // Bundle the reader into a small script and run it with the file on its stdin, as `tcpdump -w - | vigil`.
    const script = join(work, 'count-stdin.mjs');
    await build({
      stdin: {
        contents: `import { openCapture } from ${JSON.stringify(join(import.meta.dirname, 'open-capture.ts'))};
          const c = openCapture('-'); let n = 0; await c.forEach(() => { n++; });
          process.stdout.write(JSON.stringify({ n, format: c.format, compressed: c.compressed }));`,
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      logLevel: 'silent',
    });
    const plain = spawnSync(process.execPath, [script], { input: fixtureBytes('06-http-tls.pcapng') });
    expect(JSON.parse(plain.stdout.toString())).toEqual({ n: 135, format: 'pcapng', compressed: false });
    const gz = spawnSync(process.execPath, [script], {
      input: gzipSync(fixtureBytes('01-dhcp-dns-mdns.pcap')),
    });
    expect(JSON.parse(gz.stdout.toString())).toEqual({ n: 147, format: 'pcap', compressed: true });
  });

  it('rejects the iteration when the file cannot be read (an I/O error, not bad data)', async () => {
    await expect(collect(openCapture(join(work, 'missing.pcap')))).rejects.toThrow(/ENOENT/);
  });

  it('reports unknown, empty and too-short input without throwing', async () => {
    const elf = readCapture(chunked(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1), [3]), { file: 'a.out' });
    expect(await collect(elf)).toEqual([]);
    expect(elf.stats.issues).toEqual([
      {
        file: 'a.out',
        offset: 0,
        reason: 'unknown capture format (magic 0x464c457f); expected pcap, pcapng or gzip',
      },
    ]);
    expect(elf.stats.stopped).toBe(true);
    const empty = readCapture(chunked(new Uint8Array(0), [1]));
    expect(await collect(empty)).toEqual([]);
    expect(empty.stats.issues[0]!.reason).toBe('empty input');
    const short = readCapture(chunked(Uint8Array.of(0xd4, 0xc3), [1]));
    expect(await collect(short)).toEqual([]);
    expect(short.stats.issues[0]!.reason).toBe('input too short to be a capture (2 bytes)');
    const headerOnly = await readAllPackets(fixtureBytes('zeek-empty.pcap'));
    expect([headerOnly.packets.length, headerOnly.capture.stats.issueCount]).toEqual([0, 0]);
  });

  it('names a UTF-16 text (a packet list saved from tshark as "Unicode") rather than an unknown magic', async () => {
    const name = 'zeek-linuxsll-arp.packet-list.utf16.txt';
    const capture = openCapture(fixturePath(name));
    expect(await collect(capture)).toEqual([]);
    expect(capture.format).toBeUndefined();
    expect(capture.stats.issues).toEqual([
      {
        file: fixturePath(name),
        offset: 0,
        reason:
          'UTF-16 (little-endian, with a byte order mark) text, not a capture (pcap, pcapng or gzip): save the capture itself (Wireshark: File › Save As), or a Zeek log or nmap XML as UTF-8',
      },
    ]);
  });

  it('stops reading the source when the consumer breaks out early', async () => {
    const capture = openCapture(fixturePath('07-telnet-ftp-ssh-mqtt.pcap'), { chunkBytes: 1024 });
    let n = 0;
    for await (const _ of capture) if (++n === 3) break;
    expect(n).toBe(3);
    expect(capture.stats.sourceBytes).toBeLessThan(fixtureBytes('07-telnet-ftp-ssh-mqtt.pcap').length);
  });

  it('caps the issues it keeps but counts them all', async () => {
    // A pcapng stream of many blocks that each refer to an undescribed interface.
    const bytes = fixtureBytes('zeek-pcapng-multi-interface.pcapng');
    const view = new DataView(bytes.buffer);
    for (let o = 0; o < bytes.length; o += view.getUint32(o + 4, true)) {
      if (view.getUint32(o, true) === 6) view.setUint32(o + 8, 99, true);
    }
    const capture = readCapture(chunked(bytes, [bytes.length]), { maxIssues: 2 });
    expect(await collect(capture)).toEqual([]);
    expect([capture.stats.issues.length, capture.stats.issueCount, capture.stats.skippedRecords]).toEqual([
      2, 6, 6,
    ]);
  });
});
