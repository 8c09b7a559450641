/**
 * Device data reaches the terminal escaped: the detail views (`findings show`, `devices show`,
 * `alerts show`, `vulns show`) run in-process (test/cli-in-process.ts) against a temporary SQLite file
 * holding text a device or an advisory publisher controls, with terminal control characters in it:
 *
 * - test/fixtures/captures/tls-control-cn.pcap: `openssl s_server -tls1_2` (10.79.2.1:8443) with a
 *   self-signed certificate whose CN is `infusion-gw` ESC `]0;pwned` BEL ESC `[2J` ESC `[1;32mALL CLEAR`
 *   ESC `[0m` LF `vigil: no findings` and whose O holds U+009B; fetched by `openssl s_client`.
 * - test/fixtures/captures/dicom-control-manufacturer.pcap: dcmtk `storescu` (10.79.2.2) sends a data set
 *   (ISO_IR 192) with Manufacturer `Medfusion` U+009B `2J`, Model Name `Syringe` U+202E ` 4000` and a
 *   made-up Patient Name: a cleartext-PHI finding and alert on a device named by that Manufacturer.
 * - test/fixtures/advisories/control-text/icsma-24-151-01-control-title.json: CISA's ICSMA-24-151-01 with
 *   ESC sequences and a newline in document.title and U+009B, U+202E in a reference summary.
 *
 * Both captures were recorded by make-control-text-captures.sh (captures PROVENANCE.md). Each view must
 * print no byte below 0x20 but the line breaks it makes itself, no C1 (U+0080–U+009F) and no bidi
 * control, while the text stays readable in escaped form.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../test/cli-in-process.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures');
const CN = 'infusion-gw\u001b]0;pwned\u0007\u001b[2J\u001b[1;32mALL CLEAR\u001b[0m\nvigil: no findings';
const TITLE =
  'Baxter Welch Allyn Configuration Tool\u001b]0;pwned\u0007\u001b[2J\u001b[1;32mALL CLEAR\u001b[0m\nvigil: no advisories';
let db: string;
const vigil = (args: string[]) => vigilInProcess(args, { db: `sqlite:${db}` });

/** What a terminal would act on: C0 but the newline, DEL, C1, bidi controls, line separators. */
const ACTS_ON_TERMINAL = /(?!\n)[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;

async function shown(args: string[]): Promise<string> {
  const r = await vigil(args);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(ACTS_ON_TERMINAL);
  return r.stdout;
}

describe('detail views print device data escaped', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-terminal-text-')), 'vigil.db');
    const captures = join(FIXTURES, 'captures');
    const imported = await vigil([
      'import',
      join(captures, 'tls-control-cn.pcap'),
      join(captures, 'dicom-control-manufacturer.pcap'),
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const csaf = join(FIXTURES, 'advisories/control-text/icsma-24-151-01-control-title.json');
    expect((await vigil(['advisories', 'import', csaf])).code).toBe(0);
  });

  it('findings show: a certificate CN with ESC, BEL and a newline', async () => {
    const list = JSON.parse((await vigil(['findings', 'list', '--json'])).stdout) as {
      id: string;
      type: string;
      evidence: { summary: string };
    }[];
    const cert = list.find((f) => f.type === 'certificate-problem')!;
    // The JSON keeps the CN as the certificate has it (JSON.stringify escapes C0).
    expect(cert.evidence.summary).toBe(`certificate ${CN}: self-signed`);
    const out = await shown(['findings', 'show', cert.id]);
    expect(out).toContain(
      'first seen   certificate infusion-gw\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[1;32mALL CLEAR\\u001b[0m\\nvigil: no findings: self-signed [',
    );
    expect(out.split('\n').filter((l) => l.startsWith('vigil: '))).toEqual([]);
    const phi = list.find((f) => f.type === 'cleartext-phi')!;
    await shown(['findings', 'show', phi.id]);
  });

  it('devices show: a DICOM Manufacturer with U+009B and a Model Name with U+202E', async () => {
    const pump = await shown(['devices', 'show', '10.79.2.2']);
    expect(pump).toMatch(/^manufacturer {7}Medfusion 2J$/m);
    expect(pump).toMatch(/^dicom\.manufacturer +Medfusion\\u009b2J /m);
    expect(pump).toMatch(/^dicom\.model +Syringe\\u202e 4000 /m);
    const server = await shown(['devices', 'show', '10.79.2.1']);
    expect(server).toContain('O=Vigil\\u009b2J fixture,CN=infusion-gw\\u001b]0');
  });

  it('alerts show: the alert on the device the Manufacturer names', async () => {
    const page = JSON.parse((await vigil(['alerts', 'list', '--json'])).stdout) as {
      items: { id: string; rule: string }[];
    };
    const alert = page.items.find((a) => a.rule === 'cleartext-phi')!;
    const out = await shown(['alerts', 'show', alert.id]);
    expect(out).toMatch(/^device {7}Medfusion 2J Syringe 4000 \(10\.79\.2\.2\) /m);
  });

  it('vulns show: an advisory title with ESC sequences and a newline, a reference with U+009B', async () => {
    const out = await shown(['vulns', 'show', 'ICSMA-24-151-01']);
    expect(out.split('\n')[1]).toBe(
      'Baxter Welch Allyn Configuration Tool\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[1;32mALL CLEAR\\u001b[0m\\nvigil: no advisories',
    );
    expect(out).toContain('  Recommended Practices\\u009b2J\\u202e: https://www.cisa.gov/uscert/ics/alerts/');
  });

  it('--json writes C1 and bidi controls as \\u escapes and reads back as the same text', async () => {
    const out = await shown(['vulns', 'show', 'ICSMA-24-151-01', '--json']);
    const view = JSON.parse(out) as { title: string; references: { summary: string }[] };
    expect(view.title).toBe(TITLE);
    expect(view.references.map((r) => r.summary)).toContain('Recommended Practices\u009b2J\u202e');
    const hints = await shown(['devices', 'show', '10.79.2.2', '--json']);
    expect(hints).toContain('Medfusion\\u009b2J');
    await shown(['findings', 'list', '--json']);
  });
});
