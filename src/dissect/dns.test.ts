import { describe, expect, it } from 'vitest';
import {
  type DnsMessage,
  type DnsRecord,
  discoverFromDns,
  nameLabels,
  parseDns,
  parseDnsTcp,
  parseTxt,
  reverseAddress,
} from './dns.js';
import { fuzzDatagram, loadDatagrams, loadTsv, loadZeekLog } from './network-test-fixtures.js';

function parsedAll(file: string) {
  return loadDatagrams(file).map(({ frame, payload }) => {
    const r = parseDns(payload);
    if (r.kind !== 'ok') throw new Error(`frame ${frame}: ${JSON.stringify(r)}`);
    return { frame, msg: r.value };
  });
}

const targets = (rrs: DnsRecord[], kind: 'CNAME' | 'PTR') =>
  rrs
    .map((r) => r.data)
    .flatMap((d) => (d.kind === kind && 'target' in d ? [d.target] : []))
    .join(',');

/** Our message in the shape of tshark's `-T fields` columns (see extract-network.sh). */
function asTsharkRow(m: DnsMessage): Record<string, string> {
  const rrs: DnsRecord[] = [...m.answers, ...m.authorities, ...m.additionals];
  const of = <K extends DnsRecord['data']['kind']>(kind: K) =>
    rrs.map((r) => r.data).filter((d): d is Extract<DnsRecord['data'], { kind: K }> => d.kind === kind);
  return {
    'dns.id': `0x${m.id.toString(16).padStart(4, '0')}`,
    'dns.flags.response': m.response ? '1' : '0',
    'dns.flags.rcode': m.response ? String(m.rcode) : '',
    'dns.count.queries': String(m.questions.length),
    'dns.count.answers': String(m.answers.length),
    'dns.count.auth_rr': String(m.authorities.length),
    'dns.count.add_rr': String(m.additionals.length),
    'dns.qry.name': m.questions.map((q) => q.name).join(','),
    'dns.qry.type': m.questions.map((q) => q.type).join(','),
    'dns.resp.name': rrs.map((r) => (r.name === '.' ? '<Root>' : r.name)).join(','),
    'dns.resp.type': rrs.map((r) => r.type).join(','),
    'dns.a': of('A')
      .map((d) => d.address)
      .join(','),
    'dns.aaaa': of('AAAA')
      .map((d) => d.address)
      .join(','),
    'dns.cname': targets(rrs, 'CNAME'),
    'dns.ptr.domain_name': targets(rrs, 'PTR'),
    'dns.srv.port': of('SRV')
      .map((d) => d.port)
      .join(','),
    'dns.srv.target': of('SRV')
      .map((d) => d.target)
      .join(','),
    'dns.txt': of('TXT')
      .flatMap((d) => d.strings)
      .join(','),
  };
}

function expectLikeTshark(file: string, tsv: string): void {
  const rows = loadTsv(tsv);
  const msgs = parsedAll(file);
  expect(msgs.length).toBe(rows.length);
  for (const { frame, msg } of msgs) {
    const row = rows.find((r) => r['frame.number'] === String(frame))!;
    const ours = asTsharkRow(msg);
    const subset = Object.fromEntries(Object.keys(ours).map((k) => [k, row[k] ?? '']));
    // tshark 4.0 leaves out some repeated owner names (e.g. a TXT after an SRV of the same name): compare sets
    const names = (s: string) => [...new Set(s.split(','))].sort();
    expect(names(ours['dns.resp.name']!)).toEqual(names(subset['dns.resp.name']!));
    delete ours['dns.resp.name'];
    delete subset['dns.resp.name'];
    expect({ frame, ...ours }).toEqual({ frame, ...subset });
  }
}

describe('parseDns against tshark', () => {
  it('dig ↔ dnsmasq and python-zeroconf mDNS (IPv4 and IPv6) of the shared capture', () => {
    expectLikeTshark('dns/sgh-dns-mdns.udp.tsv', 'dns/sgh-dns-mdns.tshark.tsv');
  });
  it('Zeek’s mdns.pcap (reverse PTRs, ANY probes with known answers)', () => {
    expectLikeTshark('dns/zeek-mdns.udp.tsv', 'dns/zeek-mdns.tshark.tsv');
  });
  it('Zeek’s dns-txt-multiple.pcap (TXT with several strings, NS and glue)', () => {
    expectLikeTshark('dns/zeek-dns-txt-multiple.udp.tsv', 'dns/zeek-dns-txt-multiple.tshark.tsv');
  });
  it('Zeek’s hinfo.pcap', () => {
    const [, resp] = parsedAll('dns/zeek-hinfo.udp.tsv');
    const row = loadTsv('dns/zeek-hinfo.tshark.tsv')[1]!;
    expect(resp!.msg.answers[0]!.data).toEqual({
      kind: 'HINFO',
      cpu: row['dns.hinfo.cpu'],
      os: row['dns.hinfo.os'],
    });
  });
});

describe('parseDns against Zeek’s dns.log', () => {
  it('multiple TXT strings, answers and TTLs', () => {
    const [zeek] = loadZeekLog('dns/zeek-dns-txt-multiple.dns.log');
    const { msg } = parsedAll('dns/zeek-dns-txt-multiple.udp.tsv')[1]!;
    expect(msg.id).toBe(Number(zeek!['trans_id']));
    expect(msg.rcodeName).toBe(zeek!['rcode_name']);
    expect(msg.authoritative).toBe(zeek!['AA'] === 'T');
    const answers = msg.answers.map((r) =>
      r.data.kind === 'CNAME'
        ? r.data.target
        : r.data.kind === 'TXT'
          ? r.data.strings.map((s) => `TXT ${s.length} ${s}`).join(' ')
          : '',
    );
    expect(answers.join(',')).toBe(zeek!['answers']);
    expect(msg.answers.map((r) => `${r.ttl}.000000`).join(',')).toBe(zeek!['TTLs']);
  });
});

describe('discoverFromDns', () => {
  const msgs = parsedAll('dns/sgh-dns-mdns.udp.tsv');
  const byFrame = (n: number) => msgs.find((m) => m.frame === n)!.msg;

  it('finds the infusion pump’s DNS-SD announcement with model and firmware from TXT', () => {
    const d = discoverFromDns(byFrame(47));
    expect(d.services).toEqual([
      {
        instance: 'Infusion Pump E-214',
        serviceType: '_http._tcp',
        domain: 'local',
        fullName: 'Infusion Pump E-214._http._tcp.local',
        host: 'pump-e214.local',
        port: 80,
        txt: { model: 'SIGMA-SPECTRUM', fw: '8.01.01' },
      },
    ]);
    expect(d.addresses).toEqual([
      { name: 'pump-e214.local', address: '10.20.0.60' },
      { name: 'pump-e214.local', address: 'fd00:20::60' },
    ]);
    expect(d.serviceTypes).toEqual(['_http._tcp.local']);
  });

  it('finds the DICOM node advertised over mDNS with its AE title', () => {
    const d = discoverFromDns(byFrame(54));
    expect(d.services[0]).toMatchObject({
      instance: 'SGH-ORTHANC',
      serviceType: '_dicom._tcp',
      host: 'orthanc-pacs.local',
      port: 4242,
      txt: { aet: 'ORTHANC' },
    });
  });

  it('reads unicast answers: CNAME chain, reverse PTR, AAAA', () => {
    expect(discoverFromDns(byFrame(16))).toMatchObject({
      aliases: [{ name: 'worklist.sgh.example', target: 'orthanc.sgh.example' }],
      addresses: [{ name: 'orthanc.sgh.example', address: '10.20.0.11' }],
    });
    expect(discoverFromDns(byFrame(20)).reverse).toEqual([
      { name: 'pacs.sgh.example', address: '10.20.0.10' },
    ]);
    expect(discoverFromDns(byFrame(14)).addresses).toEqual([
      { name: 'pacs.sgh.example', address: 'fd00:20::10' },
    ]);
    expect(byFrame(24).rcodeName).toBe('REFUSED');
  });

  it('maps ip6.arpa PTRs of Zeek’s mdns.pcap to the host name', () => {
    const all = parsedAll('dns/zeek-mdns.udp.tsv').flatMap((m) => discoverFromDns(m.msg).reverse);
    expect(all).toContainEqual({
      name: 'johanna-QEMU-Virtual-Machine.local',
      address: 'fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4',
    });
    expect(all).toContainEqual({ name: 'johanna-QEMU-Virtual-Machine.local', address: '10.0.2.7' });
  });

  it('ignores queries (their known answers are someone else’s claims)', () => {
    expect(discoverFromDns(byFrame(71)).services).toEqual([]);
  });

  it('helpers: TXT rules of RFC 6763 §6, label escapes, reverse names', () => {
    expect(parseTxt(['Model=A', 'model=B', 'flag', '=x', '', 'k='])).toEqual({
      model: 'A',
      flag: true,
      k: '',
    });
    expect(nameLabels('My\\.Printer._ipp._tcp.local')).toEqual(['My.Printer', '_ipp', '_tcp', 'local']);
    expect(reverseAddress('1.2.3.4.in-addr.arpa')).toBe('4.3.2.1');
    expect(reverseAddress('300.2.3.4.in-addr.arpa')).toBeUndefined();
  });
});

describe('parseDns on crafted and bad input', () => {
  const samples = [
    ...loadDatagrams('dns/sgh-dns-mdns.udp.tsv'),
    ...loadDatagrams('dns/zeek-mdns.udp.tsv'),
    ...loadDatagrams('dns/zeek-dns-txt-multiple.udp.tsv'),
  ].map((d) => d.payload);

  it('stops at a compression loop instead of hanging', () => {
    // header with one question whose name is a pointer to itself
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const r = parseDns(loop);
    expect(r).toMatchObject({ kind: 'ok', value: { truncated: true, questions: [] } });
  });

  it('escapes dots and controls inside labels and keeps UTF-8 instance names', () => {
    const label = new TextEncoder().encode('Pumpe Ä.1');
    const p = Uint8Array.from([
      0,
      1,
      0x84,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      label.length,
      ...label,
      0,
      0,
      12,
      0,
      1,
    ]);
    const r = parseDns(p);
    expect(r.kind === 'ok' && r.value.questions[0]!.name).toBe('Pumpe Ä\\.1');
  });

  it('frames DNS over TCP by its length prefix', () => {
    const msg = samples[1]!;
    const framed = Uint8Array.from([msg.length >> 8, msg.length & 255, ...msg, 9]);
    expect(parseDnsTcp(framed.subarray(0, 5))).toEqual({ kind: 'need-more', needed: msg.length + 2 });
    expect(parseDnsTcp(framed)).toMatchObject({ kind: 'ok', consumed: msg.length + 2 });
  });

  it('never throws on random or mutated payloads', () => {
    fuzzDatagram(parseDns, samples);
    fuzzDatagram(parseDnsTcp, samples);
    fuzzDatagram((p) => {
      const r = parseDns(p);
      if (r.kind === 'ok') discoverFromDns({ ...r.value, response: true });
    }, samples);
  });
});
