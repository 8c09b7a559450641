import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from './alert-sender.js';
import { createTcpTransport, createUdpTransport, octetCountingFrame } from './syslog-transport.js';

/** Reads RFC 6587 octet-counted frames out of a byte stream, strictly. */
function frames(data: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = data.subarray(i, sp).toString('ascii');
    if (sp < 0 || !/^[1-9]\d*$/.test(len)) throw new Error(`offset ${i}: no MSG-LEN`);
    const end = sp + 1 + Number(len);
    if (end > data.length) throw new Error(`offset ${i}: frame runs past the data`);
    out.push(data.subarray(sp + 1, end).toString('utf8'));
    i = end;
  }
  return out;
}

interface Receiver {
  server: Server;
  port: number;
  /** Bytes per accepted connection. */
  connections: Buffer[][];
  sockets: Socket[];
}

const servers: Receiver[] = [];
afterEach(async () => {
  for (const r of servers.splice(0)) {
    for (const s of r.sockets) s.destroy();
    await new Promise<void>((done) => r.server.close(() => done()));
  }
});

async function receiver(onConnection: (s: Socket, index: number) => void = () => {}): Promise<Receiver> {
  const r: Receiver = { server: createServer(), port: 0, connections: [], sockets: [] };
  r.server.on('connection', (s) => {
    const chunks: Buffer[] = [];
    r.connections.push(chunks);
    r.sockets.push(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    onConnection(s, r.connections.length - 1);
  });
  await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
  r.port = (r.server.address() as { port: number }).port;
  servers.push(r);
  return r;
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

describe('TCP transport (octet counting, RFC 6587 §3.4.1)', () => {
  it('frames each message as MSG-LEN SP MSG, lengths in bytes, on one connection', async () => {
    const r = await receiver();
    const t = createTcpTransport({ host: '127.0.0.1', port: r.port, connectionCheckMs: 10 });
    const messages = [
      '<134>1 - - - - - - one',
      '<134>1 - - - - - - zwei ü €',
      '<134>1 - - - - - - three\nlines',
    ];
    for (const m of messages) await t.send(Buffer.from(m));
    await until(() => Buffer.concat(r.connections[0] ?? []).length >= 60);
    expect(r.connections).toHaveLength(1);
    expect(frames(Buffer.concat(r.connections[0]!))).toEqual(messages);
    expect(octetCountingFrame(Buffer.from('ü')).toString('utf8')).toBe('2 ü');
    await t.close();
  });

  it('reconnects on the next send after the receiver closed the connection', async () => {
    const r = await receiver();
    const t = createTcpTransport({ host: '127.0.0.1', port: r.port, connectionCheckMs: 10 });
    await t.send(Buffer.from('first'));
    await until(() => r.connections[0]?.length === 1);
    r.sockets[0]!.end();
    await new Promise((done) => setTimeout(done, 50));
    await t.send(Buffer.from('second'));
    await until(() => r.connections[1]?.length === 1);
    expect(r.connections.map((c) => frames(Buffer.concat(c)))).toEqual([['first'], ['second']]);
    await t.close();
  });

  it('a receiver that closes a new connection at once fails the attempt before anything is written', async () => {
    const r = await receiver((s) => s.destroy());
    const t = createTcpTransport({ host: '127.0.0.1', port: r.port, connectionCheckMs: 200 });
    const err = (await t.send(Buffer.from('lost?')).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect([err.retryable, err.message]).toEqual([
      true,
      `syslog+tcp://127.0.0.1:${r.port}: the receiver closed the connection right after accepting it ` +
        '(does it require a client certificate, or refuse this client?)',
    ]);
    await t.close();
  });

  it('refuses, for good, a message over the cap and anything after close', async () => {
    const r = await receiver();
    const t = createTcpTransport({
      host: '127.0.0.1',
      port: r.port,
      maxMessageBytes: 10,
      connectionCheckMs: 0,
    });
    const big = (await t.send(Buffer.alloc(11, 0x41)).catch((e: unknown) => e)) as DeliveryError;
    expect(big.retryable).toBe(false);
    await t.close();
    const closed = (await t.send(Buffer.from('x')).catch((e: unknown) => e)) as DeliveryError;
    expect([closed.retryable, closed.message]).toEqual([false, `syslog+tcp://127.0.0.1:${r.port}: closed`]);
  });
});

describe('UDP transport (RFC 5426)', () => {
  it('sends one datagram per message and refuses one over the 2048-byte cap', async () => {
    const got: string[] = [];
    const sock = createSocket('udp4');
    sock.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((done) => sock.bind(0, '127.0.0.1', done));
    const t = createUdpTransport({ host: '127.0.0.1', port: sock.address().port });
    expect(t.maxMessageBytes).toBe(2048);
    await t.send(Buffer.from('<134>1 - - - - - - a'));
    await t.send(Buffer.from('<134>1 - - - - - - b'));
    await until(() => got.length === 2);
    expect(got).toEqual(['<134>1 - - - - - - a', '<134>1 - - - - - - b']);
    const err = (await t.send(Buffer.alloc(2049)).catch((e: unknown) => e)) as DeliveryError;
    expect(err.retryable).toBe(false);
    await t.close();
    await new Promise<void>((done) => sock.close(() => done()));
  });
});
