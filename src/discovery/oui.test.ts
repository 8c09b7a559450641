import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryLines, lookupMacVendor, macVendor, registryEntry } from './oui.js';

const NMAP_FIXTURES = new URL('../../test/fixtures/nmap/', import.meta.url);

describe('macVendor', () => {
  // The vendor OUIs of the shared capture LAN (test/fixtures/nmap/PROVENANCE.md, captures README).
  it.each([
    ['44:4b:5d:c7:21:01', /^GE Healthcare$/],
    ['00:0f:82:ec:60:23', /^Mortara Instrument/],
    ['00:a0:aa:5b:00:40', /^SPACELABS MEDICAL$/],
    ['58:42:e4:10:00:60', /^Baxter International/],
    ['00:09:5c:41:00:41', /^Philips Medical Systems - Cardiac and Monitoring/],
    ['00:18:65:43:00:43', /^Siemens Healthcare Diagnostics/],
  ])('%s is registered to %s', (mac, vendor) => {
    const r = macVendor(mac);
    expect(r?.vendor).toMatch(vendor);
    expect(r?.prefix).toBe(mac.slice(0, 8));
  });

  it('agrees with the vendor nmap printed for every MAC in the nmap fixtures', () => {
    let checked = 0;
    for (const f of ['sgh-medical-lan.xml', 'full_sudo6.xml', 'os_scan5.xml']) {
      const xml = readFileSync(new URL(f, NMAP_FIXTURES), 'utf8');
      for (const m of xml.matchAll(/<address addr="([0-9A-F:]{17})" addrtype="mac" vendor="([^"]+)"/g)) {
        const [, mac, nmapVendor] = m;
        // nmap shortens names ("Spacelabs Medical", "Intel Corporate", "Sagemcom"); the first word agrees.
        const first = nmapVendor!.split(/\s+/)[0]!.toLowerCase();
        expect(macVendor(mac!)?.vendor.toLowerCase(), `${mac} (${nmapVendor})`).toContain(first);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('accepts the usual notations', () => {
    for (const mac of [
      '00A0AA5B0040',
      '00-a0-aa-5b-00-40',
      '00a0.aa5b.0040',
      '0:a0:aa:5b:0:40',
      ' 00:A0:AA:5B:00:40 ',
    ]) {
      expect(macVendor(mac)?.prefix, mac).toBe('00:a0:aa');
    }
  });

  it('prefers the longest registered prefix (MA-S over MA-M over MA-L)', () => {
    // 00:1B:C5 is an IEEE RA block subdivided into MA-S assignments; 10:06:48 into MA-M ones.
    expect(lookupMacVendor('00:1b:c5:00:0a:bc')).toMatchObject({
      ok: true,
      registry: 'MA-S',
      vendor: 'Converging Systems Inc.',
      prefix: '00:1b:c5:00:0',
    });
    expect(lookupMacVendor('10:06:48:0a:bc:de')).toMatchObject({
      ok: true,
      registry: 'MA-M',
      prefix: '10:06:48:0',
    });
    expect(lookupMacVendor('00:1f:3c:87:66:50')).toMatchObject({
      ok: true,
      registry: 'MA-L',
      vendor: 'Intel Corporate',
    });
  });

  it('has no vendor for locally administered, multicast, invalid or unassigned addresses, and says why', () => {
    // The shared capture's "local" hosts and a Docker bridge MAC from the libnmap fixtures.
    for (const mac of ['02:00:5e:20:00:10', '02:42:ac:1c:01:03', 'da:a1:19:00:00:01']) {
      expect(macVendor(mac)).toBeNull();
      expect(lookupMacVendor(mac)).toMatchObject({ ok: false, reason: 'locally-administered' });
    }
    expect(lookupMacVendor('01:00:5e:00:00:fb')).toMatchObject({ ok: false, reason: 'multicast' });
    expect(lookupMacVendor('not a mac')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(lookupMacVendor('00:00:00:00:00:00').ok).toBe(true); // Xerox holds 00:00:00, as registered
    // Not registered in oui-data 2.1.9; a future registry may assign it, then pick another.
    expect(lookupMacVendor('fc:ff:ff:00:00:01')).toMatchObject({ ok: false, reason: 'unassigned' });
  });
});

describe('the registry search', () => {
  const path = createRequire(import.meta.url).resolve('oui-data');
  const bytes = readFileSync(path);
  const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, string>;

  it('finds every entry of the registry, exactly as JSON.parse reads it', () => {
    // The installed oui-data keeps one entry per line in order: the fast path is the one in use.
    expect(entryLines(bytes)?.length).toBe(Object.keys(parsed).length);
    for (const [prefix, entry] of Object.entries(parsed)) expect(registryEntry(prefix), prefix).toBe(entry);
  });

  it('finds nothing where the registry has nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(6, 7, 9), fc.nat(), (len, n) => {
        const prefix = n.toString(16).toUpperCase().padStart(len, '0').slice(-len);
        expect(registryEntry(prefix)).toBe(parsed[prefix]);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a layout it cannot search (minified, out of order), so the table is parsed instead', () => {
    expect(entryLines(Buffer.from(JSON.stringify({ '000000': 'A', '000001': 'B' })))).toBeUndefined();
    expect(entryLines(Buffer.from('{\n "000001": "B",\n "000000": "A"\n}\n'))).toBeUndefined();
    expect(entryLines(Buffer.from('{\n "000000": "A",\n "0000000": "B"\n}\n'))?.length).toBe(2);
  });
});
