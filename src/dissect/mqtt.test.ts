import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brokerVersion, type MqttEvent, MqttStreamDissector, readRemainingLength } from './mqtt.js';
import {
  feedAll,
  fuzzStream,
  leaksNone,
  loadFollow,
  loadTsv,
  type Segment,
} from './network-test-fixtures.js';

const run = (segments: Segment[], sut = new MqttStreamDissector()) => feedAll(sut, segments);
const of = <T extends MqttEvent['type']>(ev: MqttEvent[], type: T) =>
  ev.filter((e): e is Extract<MqttEvent, { type: T }> => e.type === type);

// Real traffic (test/fixtures/dissect/mqtt/PROVENANCE.md): Zeek's paho 3.1 trace, the shared capture's
// pump → mosquitto session, and mosquitto_pub/sub 2.0.11 ↔ mosquitto 2.0.11 (3.1, 3.1.1 and 5.0).
const ZEEK = [0, 1].map((s) => loadFollow(`mqtt/zeek-mqtt.stream${s}.follow.txt`));
const SGH = loadFollow('mqtt/sgh-mqtt.stream0.follow.txt');
const MOSQ = [0, 1, 2, 3, 4].map((s) => loadFollow(`mqtt/mosquitto-veth.stream${s}.follow.txt`));
// nmap 7.93's mqtt-subscribe script ↔ mosquitto 2.0.11, from the shared scan capture: $SYS PUBLISHes.
const NMAP = loadFollow('mqtt/nmap-sys.stream0.follow.txt');
const ALL = [...ZEEK, SGH, ...MOSQ, NMAP];

/** tshark's rows for the control packets Vigil reports, per stream, in order. */
function tsharkPackets(file: string, stream: number): Record<string, string>[] {
  return loadTsv(file).flatMap((r) => {
    if (r['tcp.stream'] !== String(stream)) return [];
    // one frame may hold several packets (`3,14`); fields of the reported types come first
    return r['mqtt.msgtype']!.split(',')
      .filter((t) => ['1', '2', '3', '8'].includes(t))
      .map((t) => ({ ...r, type: t }));
  });
}

const TYPE_CODE: Record<string, string> = { connect: '1', connack: '2', publish: '3', subscribe: '8' };

function agreesWithTshark(file: string, stream: number, events: MqttEvent[]): void {
  const theirs = tsharkPackets(file, stream);
  const ours = events.filter((e) => e.type in TYPE_CODE);
  expect(ours.map((e) => TYPE_CODE[e.type])).toEqual(theirs.map((r) => r['type']));
  ours.forEach((e, i) => {
    const t = theirs[i]!;
    if (e.type === 'connect') {
      expect(e.protocolName).toBe(t['mqtt.protoname']);
      expect(String(e.protocolLevel)).toBe(t['mqtt.ver']);
      expect(e.clientId).toBe(t['mqtt.clientid']);
      expect(e.usernameFlag).toBe(t['mqtt.conflag.uname'] === '1');
      expect(e.passwordFlag).toBe(t['mqtt.conflag.passwd'] === '1');
      expect(e.will?.topic ?? '').toBe(t['mqtt.willtopic']);
    } else if (e.type === 'connack') {
      expect(String(e.code)).toBe(t['mqtt.conack.val'] || t['mqtt.connack.reason_code']);
    } else if (e.type === 'publish') {
      expect(e.topic).toBe(t['mqtt.topic']);
      expect(String(e.qos)).toBe(t['mqtt.qos']);
      expect(e.retain).toBe(t['mqtt.retain'] === '1');
    } else if (e.type === 'subscribe') {
      expect(e.topics.join(',')).toBe(t['mqtt.topic']);
    }
  });
}

describe('MqttStreamDissector against tshark', () => {
  it('Zeek mqtt.pcap (paho, MQTT 3.1 MQIsdp): CONNECT, CONNACK, SUBSCRIBE, PUBLISH in both directions', () => {
    for (const [i, s] of ZEEK.entries()) agreesWithTshark('mqtt/zeek-mqtt.tshark.tsv', i, run(s));
    const ev = run(ZEEK[0]!);
    expect(of(ev, 'connect')[0]).toMatchObject({ version: '3.1', clientId: 'paho/34AAE54A75D839566E' });
    expect(of(ev, 'subscribe')).toEqual([{ type: 'subscribe', topics: ['SampleTopic'] }]);
    expect(of(ev, 'publish').every((p) => p.direction === 'server' && !p.patientData)).toBe(true);
  });

  it('the shared capture: pump-e214 connects to mosquitto without credentials, MQTT 3.1.1', () => {
    const ev = run(SGH);
    agreesWithTshark('mqtt/sgh-mqtt.tshark.tsv', 0, ev);
    expect(of(ev, 'connect')[0]).toMatchObject({
      version: '3.1.1',
      clientId: 'pump-e214',
      usernameFlag: false,
      passwordFlag: false,
    });
    expect(of(ev, 'connack')[0]).toMatchObject({ accepted: true, reason: 'accepted' });
  });

  it('mosquitto 2.0.11: 3.1.1 with credentials, 5.0 with will and properties, 3.1 retained, 5.0 SUBSCRIBE', () => {
    for (const [i, s] of MOSQ.entries()) agreesWithTshark('mqtt/mosquitto-veth.tshark.tsv', i, run(s));
    const v5 = run(MOSQ[1]!);
    expect(of(v5, 'connect')[0]).toMatchObject({
      version: '5.0',
      clientId: 'pump-7',
      will: { topic: 'ward/icu/pump-7/status', qos: 0, retain: false },
    });
    expect(of(v5, 'connack')[0]).toMatchObject({ code: 0, reason: 'success' });
    expect(of(run(MOSQ[3]!), 'subscribe')[0]!.topics).toEqual(['ward/icu/#', 'alarms/+']);
    expect(of(run(MOSQ[2]!), 'connect')[0]).toMatchObject({ protocolName: 'MQIsdp', version: '3.1' });
  });
});

describe('MqttStreamDissector: the broker version', () => {
  const rows = loadTsv('mqtt/nmap-sys.tshark.tsv');
  /** tshark's payload of each PUBLISH by topic (frames may hold several; fields are aggregated with ','). */
  const payloads = new Map(
    rows.flatMap((r) => {
      const topics = r['mqtt.topic']!.split(',');
      const msgs = r['mqtt.msg']!.split(',');
      return r['mqtt.msgtype']!.split(',')[0] === '3'
        ? topics.map((t, i) => [t, Buffer.from(msgs[i]!, 'hex').toString('latin1')] as const)
        : [];
    }),
  );

  it("nmap's mqtt-subscribe against mosquitto: $SYS/broker/version as tshark reads it, product and version", () => {
    const ev = run(NMAP);
    // one frame holds 17 PUBLISHes (tshark joins their fields): compare the topics in order
    expect(of(ev, 'publish').map((p) => p.topic)).toEqual([...payloads.keys()]);
    expect(of(ev, 'subscribe')[0]!.topics).toEqual(['$SYS/#', '#']);
    expect(payloads.get('$SYS/broker/version')).toBe('mosquitto version 2.0.11');
    expect(of(ev, 'broker-version')).toEqual([
      { type: 'broker-version', text: 'mosquitto version 2.0.11', product: 'mosquitto', version: '2.0.11' },
    ]);
    // every other $SYS payload (uptime, load, heap …) stays unread
    const others = [...payloads].filter(([t]) => t !== '$SYS/broker/version').map(([, v]) => `"${v}"`);
    expect(others.length).toBeGreaterThan(20);
    expect(leaksNone(ev, others)).toBe(true);
  });

  it('read only from the broker: the same PUBLISH sent by a client says nothing', () => {
    const version = NMAP.find(
      (s) => s.direction === 'server' && Buffer.from(s.bytes).includes('$SYS/broker/version'),
    )!;
    const sut = new MqttStreamDissector();
    sut.feed('client', NMAP[0]!.bytes); // the CONNECT
    const ev = sut.feed('client', version.bytes);
    expect(of(ev, 'publish')).toHaveLength(1);
    expect(of(ev, 'broker-version')).toEqual([]);
    expect(leaksNone(ev, ['mosquitto', '2.0.11'])).toBe(true);
  });

  it('strict form: "<name> version <n.n[.n[.n]]>" only; other short texts stay text; the rest is dropped', () => {
    const t = (s: string) => brokerVersion(new TextEncoder().encode(s));
    expect(t('mosquitto version 1.6.9')).toMatchObject({ product: 'mosquitto', version: '1.6.9' });
    for (const other of [
      '2.0.11',
      'mosquitto version 2.0.11 (build 3)',
      'mosquitto version',
      'version 2.0',
    ]) {
      expect(t(other)).toEqual({ type: 'broker-version', text: other });
    }
    expect(t('mosquitto version 2.0.11\n')).toBeUndefined();
    expect(t('')).toBeUndefined();
    expect(t('x'.repeat(101))).toBeUndefined();
    expect(t('mosquitto version 2.0.11 — ü')).toBeUndefined();
    // a payload longer than what was kept is not read as a version
    expect(brokerVersion(new TextEncoder().encode('mosquitto version 2.0.11'), 30)).toBeUndefined();
  });

  it('any PUBLISH payload: only the broker version topic is ever read, and only as printable text', () => {
    const enc = new TextEncoder();
    const publish = (topic: string, payload: Uint8Array) => {
      const t = enc.encode(topic);
      const rest = 2 + t.length + payload.length;
      const len = rest < 128 ? [rest] : [(rest & 0x7f) | 0x80, rest >> 7];
      return Uint8Array.from([0x30, ...len, t.length >> 8, t.length & 0xff, ...t, ...payload]);
    };
    const connack = Uint8Array.from([0x20, 2, 0, 0]);
    fc.assert(
      fc.property(
        fc.constantFrom(
          '$SYS/broker/version',
          '$SYS/broker/uptime',
          'ward/icu/pump',
          '$SYS/broker/version/x',
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.stringMatching(/^[a-z]{1,8} version \d{1,3}(\.\d{1,3}){1,3}$/).map((x) => enc.encode(x)),
          fc.string({ maxLength: 120 }).map((x) => enc.encode(x)),
        ),
        (topic, payload) => {
          const sut = new MqttStreamDissector();
          const ev = [...sut.feed('server', connack), ...sut.feed('server', publish(topic, payload))];
          const versions = of(ev, 'broker-version');
          const text = Buffer.from(payload).toString('latin1');
          const printable = payload.length > 0 && payload.length <= 100 && /^[\x20-\x7e]+$/.test(text);
          if (topic === '$SYS/broker/version' && printable) {
            expect(versions).toHaveLength(1);
            expect(versions[0]!.text).toBe(text);
            const m = / version /.test(text) && /^[A-Za-z]/.test(text);
            if (versions[0]!.product)
              expect(m && text === `${versions[0]!.product} version ${versions[0]!.version}`).toBe(true);
          } else {
            expect(versions).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('MqttStreamDissector: secrets and patient data', () => {
  it('an HL7 ADT^A04 published in cleartext is reported by segment and field, never by value', () => {
    const ev = run(MOSQ[0]!);
    const pub = of(ev, 'publish')[0]!;
    expect(pub.topic).toBe('ward/icu/hl7/adt');
    expect(pub.patientData).toEqual({
      kind: 'HL7',
      messageType: 'ADT^A04',
      segments: ['PID', 'NK1'],
      fields: expect.arrayContaining(['PID-3', 'PID-5', 'PID-7']),
      offset: expect.any(Number),
    });
    expect(leaksNone(ev, ['Doe', 'Jane', 'MRN12345', '19780101', 'JOHNSON', '724-0433'])).toBe(true);
  });

  it('the CONNECT password goes to the credential check only, and only its answer is reported', () => {
    const seen: string[] = [];
    const sut = new MqttStreamDissector({
      checkCredential: (user, password) => {
        seen.push(`${user}:${new TextDecoder().decode(password)}`);
        return user === 'admin' && new TextDecoder().decode(password) === '12345' ? 'hikvision' : undefined;
      },
    });
    const ev = run(MOSQ[0]!, sut);
    expect(seen).toEqual(['admin:12345']);
    expect(of(ev, 'connect')[0]).toMatchObject({
      usernameFlag: true,
      passwordFlag: true,
      defaultCredential: 'hikvision',
    });
    expect(leaksNone(ev, ['12345"', ':12345', 'admin'])).toBe(true);
  });

  it('a refused login: CONNACK 4 (3.1.1) and 0x86 (5.0) name the reason', () => {
    const sut = new MqttStreamDissector();
    const connect = Uint8Array.from([
      0x10, 0x1a, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 60, 0, 1, 0x63, 0, 4, 0x75, 0x73, 0x65, 0x72, 0,
      5, 0x77, 0x72, 0x6f, 0x6e, 0x67,
    ]);
    expect(of(sut.feed('client', connect), 'connect')[0]).toMatchObject({
      usernameFlag: true,
      clientId: 'c',
    });
    expect(sut.feed('server', Uint8Array.from([0x20, 2, 0, 4]))).toEqual([
      {
        type: 'connack',
        code: 4,
        accepted: false,
        reason: 'bad user name or password',
        sessionPresent: false,
      },
    ]);
  });
});

describe('MqttStreamDissector: framing', () => {
  /** 3.1.1 §2.2.3's encoding algorithm, to check the decoder against. */
  const encode = (n: number) => {
    const out: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return Uint8Array.from(out);
  };

  it('remaining length: every value up to 268 435 455 round-trips; the table examples of §2.2.3', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 268_435_455 }), (n) => {
        const b = encode(n);
        expect(readRemainingLength(b, 0)).toEqual({ value: n, size: b.length });
        expect(readRemainingLength(b.subarray(0, b.length - 1), 0)).toBe(b.length > 1 ? null : null);
      }),
    );
    expect(readRemainingLength(Uint8Array.from([0x7f]), 0)).toEqual({ value: 127, size: 1 });
    expect(readRemainingLength(Uint8Array.from([0x80, 0x01]), 0)).toEqual({ value: 128, size: 2 });
    expect(readRemainingLength(Uint8Array.from([0xff, 0xff, 0xff, 0x7f]), 0)).toEqual({
      value: 268_435_455,
      size: 4,
    });
    expect(readRemainingLength(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x01]), 0)).toMatch(/longer/);
  });

  it('a PUBLISH bigger than the buffer streams past: topic reported, payload checked only up to its cap', () => {
    const topic = new TextEncoder().encode('ward/big');
    const payloadLength = 300_000;
    const remaining = 2 + topic.length + payloadLength;
    const head = Uint8Array.from([0x30, ...encode(remaining), 0, topic.length, ...topic]);
    const sut = new MqttStreamDissector();
    const events = [...sut.feed('client', head)];
    for (let sent = 0; sent < payloadLength; sent += 1000)
      events.push(...sut.feed('client', new Uint8Array(Math.min(1000, payloadLength - sent)).fill(0x41)));
    events.push(...sut.feed('client', Uint8Array.from([0xc0, 0]))); // PINGREQ after it
    expect(events).toEqual([
      {
        type: 'publish',
        direction: 'client',
        topic: 'ward/big',
        qos: 0,
        retain: false,
        dup: false,
        payloadLength,
      },
    ]);
    expect(sut.done).toBe(false);
  });

  it('stops on a stream that is not MQTT, saying where', () => {
    const sut = new MqttStreamDissector();
    expect(sut.feed('client', new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'))).toMatchObject([
      { type: 'error', direction: 'client', offset: 0 },
    ]);
    expect(sut.feed('client', Uint8Array.from([0x10, 0]))).toEqual([]);
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(() => new MqttStreamDissector({ checkCredential: () => undefined }), ALL);
  });
});
