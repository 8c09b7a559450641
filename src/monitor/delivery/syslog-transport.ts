/**
 * @module Syslog transports: UDP (one datagram per message), TCP with octet-counting framing, and TLS
 * (octet-counting, TLS 1.2+, the server verified against a given CA, optional client certificate). Stream
 * transports keep one connection, time out connects and writes, and reconnect on the next send after any
 * failure; retrying and backing off is the delivery queue's job.
 * @see RFC 5426 (UDP), RFC 6587 §3.4.1 (octet counting), RFC 5425 §4.3 (TLS framing), §5 (certificates)
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv6, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { asDeliveryError, DeliveryError } from './alert-sender.js';
import { DEFAULT_MESSAGE_BYTES } from './syslog.js';

export interface SyslogTransport {
  /** `syslog+udp://host:port` etc.: for logs and dead letters. */
  readonly destination: string;
  /** Messages are formatted to fit this many octets (RFC 5424 §6.1 truncation). */
  readonly maxMessageBytes: number;
  send(message: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  port: number;
  /** Default 2048 for UDP (RFC 5426 §3.2's safe size), 8192 for TCP and TLS (RFC 5425 §4.3.1). */
  maxMessageBytes?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** A write the kernel has not taken after this long (the receiver stopped reading) fails; default 30 s. */
  writeTimeoutMs?: number;
  /**
   * TCP and TLS: how long a new connection must stay open before the first write; a receiver that
   * refuses a client closes it at once. Default 250 ms, once per connection.
   */
  connectionCheckMs?: number;
}

export interface TlsTransportOptions extends TransportOptions {
  /** PEM CA certificate(s) the server's certificate must chain to; the system store when absent. */
  ca?: string | Buffer;
  /** PEM client certificate and key, for receivers that require mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

const hostPort = (host: string, port: number) => (isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/** RFC 6587 §3.4.1 / RFC 5425 §4.3: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in octets. */
export function octetCountingFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

export function createUdpTransport(opts: TransportOptions): SyslogTransport {
  return new UdpTransport(opts);
}

export function createTcpTransport(opts: TransportOptions): SyslogTransport {
  return new StreamTransport(`syslog+tcp://${hostPort(opts.host, opts.port)}`, opts, 'connect', () =>
    tcpConnect({ host: opts.host, port: opts.port }),
  );
}

export function createTlsTransport(opts: TlsTransportOptions): SyslogTransport {
  return new StreamTransport(`syslog+tls://${hostPort(opts.host, opts.port)}`, opts, 'secureConnect', () =>
    tlsConnect({
      host: opts.host,
      port: opts.port,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // SNI and the name check want the host name; an IP address is checked against the IP SANs instead.
      servername: isIP(opts.host) ? undefined : opts.host,
    }),
  );
}

class UdpTransport implements SyslogTransport {
  readonly destination: string;
  readonly maxMessageBytes: number;
  #socket: Promise<{ socket: DgramSocket; address: string }> | null = null;
  #closed = false;

  constructor(private readonly opts: TransportOptions) {
    this.destination = `syslog+udp://${hostPort(opts.host, opts.port)}`;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MESSAGE_BYTES;
  }

  async send(message: Buffer): Promise<void> {
    if (this.#closed) throw new DeliveryError(`${this.destination}: closed`, { retryable: false });
    if (message.length > this.maxMessageBytes) {
      throw new DeliveryError(
        `${this.destination}: message of ${message.length} bytes exceeds the datagram cap`,
        {
          retryable: false,
        },
      );
    }
    this.#socket ??= this.#open();
    let s: { socket: DgramSocket; address: string };
    try {
      s = await this.#socket;
    } catch (err) {
      this.#socket = null;
      throw this.#error(err);
    }
    // UDP has no acknowledgement: success means the kernel sent the datagram, not that anyone got it.
    await new Promise<void>((resolve, reject) =>
      s.socket.send(message, this.opts.port, s.address, (err) =>
        err ? reject(this.#error(err)) : resolve(),
      ),
    );
  }

  async #open(): Promise<{ socket: DgramSocket; address: string }> {
    const { address, family } = isIP(this.opts.host)
      ? { address: this.opts.host, family: isIP(this.opts.host) }
      : await lookup(this.opts.host);
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    // An unconnected socket gets no ICMP errors; this only guards against a crash on anything else.
    socket.on('error', () => {});
    socket.unref();
    return { socket, address };
  }

  #error(err: unknown): DeliveryError {
    const e = asDeliveryError(err);
    return new DeliveryError(`${this.destination}: ${e.message}`, { retryable: e.retryable, cause: err });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const s = await this.#socket?.catch(() => null);
    this.#socket = null;
    if (s) await new Promise<void>((resolve) => s.socket.close(() => resolve()));
  }
}

class StreamTransport implements SyslogTransport {
  readonly maxMessageBytes: number;
  #socket: Socket | null = null;
  #connecting: Promise<Socket> | null = null;
  #closed = false;
  readonly #connectTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #connectionCheckMs: number;

  constructor(
    readonly destination: string,
    opts: TransportOptions,
    private readonly readyEvent: 'connect' | 'secureConnect',
    private readonly open: () => Socket,
  ) {
    this.maxMessageBytes = opts.maxMessageBytes ?? 8192;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.#writeTimeoutMs = opts.writeTimeoutMs ?? 30_000;
    this.#connectionCheckMs = opts.connectionCheckMs ?? 250;
  }

  async send(message: Buffer): Promise<void> {
    if (this.#closed) throw new DeliveryError(`${this.destination}: closed`, { retryable: false });
    if (message.length > this.maxMessageBytes) {
      throw new DeliveryError(`${this.destination}: message of ${message.length} bytes exceeds the cap`, {
        retryable: false,
      });
    }
    const socket = await this.#connect();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => socket.destroy(new Error(`write not accepted within ${this.#writeTimeoutMs} ms`)),
        this.#writeTimeoutMs,
      );
      socket.write(octetCountingFrame(message), (err) => {
        clearTimeout(timer);
        if (!err) return resolve();
        socket.destroy();
        reject(this.#error(err));
      });
    });
  }

  #connect(): Promise<Socket> {
    const current = this.#socket;
    if (current && !current.destroyed && current.writable) return Promise.resolve(current);
    this.#socket = null;
    this.#connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = this.open();
      let ready = false;
      const timer = setTimeout(
        () => s.destroy(new Error(`connect timed out after ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      // Always listening: an 'error' without a listener would crash the process. Once connected, errors
      // surface through the write callback and 'close' drops the socket, so the next send reconnects.
      s.on('error', (err) => {
        if (ready) return;
        clearTimeout(timer);
        reject(this.#error(err));
      });
      s.on('close', () => {
        clearTimeout(timer);
        if (this.#socket === s) this.#socket = null;
        if (!ready) reject(new DeliveryError(`${this.destination}: connection closed`, { retryable: true }));
      });
      // A receiver that closes its side is gone: end ours so the next send reconnects instead of writing
      // into a half-closed connection.
      s.on('end', () => s.destroy());
      s.once(this.readyEvent, () => {
        ready = true;
        clearTimeout(timer);
        s.setKeepAlive(true, 60_000);
        s.resume(); // syslog receivers send nothing; drain anything so the socket never stalls
        // Syslog has no acknowledgement: a receiver that refuses us after accepting the connection (rsyslog
        // checks a client certificate only once the TLS handshake is over) just closes it, and whatever was
        // written meanwhile is lost without an error. So a new connection must stay open for a moment
        // before anything is written to it.
        const check = setTimeout(settled, this.#connectionCheckMs);
        s.once('close', settled);
        function settled() {
          clearTimeout(check);
          s.off('close', settled);
          finish();
        }
        const finish = () => {
          if (this.#closed) {
            s.destroy();
            reject(new DeliveryError(`${this.destination}: closed`, { retryable: false }));
          } else if (s.destroyed || !s.writable) {
            reject(
              new DeliveryError(
                `${this.destination}: the receiver closed the connection right after accepting it ` +
                  '(does it require a client certificate, or refuse this client?)',
                { retryable: true },
              ),
            );
          } else {
            this.#socket = s;
            resolve(s);
          }
        };
      });
    }).finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  #error(err: unknown): DeliveryError {
    const e = asDeliveryError(err);
    return new DeliveryError(`${this.destination}: ${e.message}`, { retryable: e.retryable, cause: err });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => null);
    const s = this.#socket;
    this.#socket = null;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => s.destroy(), 2000);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }
}
