import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { formatFields, formatLines, formatTable, printable, readTextFile } from './io.js';

describe('formatTable', () => {
  it('escapes control characters, so a cell cannot print as a row of its own', () => {
    const out = formatTable(
      ['SEQ', 'ACTOR'],
      [[56, 'cli:root\n57 2026 admin user.disable success\r\u001b[2J\u202e']],
    );
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('cli:root\\n57');
    for (const c of ['\r', '\u001b', '\u202e']) expect(out).not.toContain(c);
  });
});

describe('printable, formatLines, formatFields', () => {
  // A certificate CN as tls-control-cn.pcap carries it: retitle the window, clear the screen, forge a line.
  const cn = 'gw\u001b]0;pwned\u0007\u001b[2J\nvigil: no findings\u009b2J\u202e';
  const shown = 'gw\\u001b]0;pwned\\u0007\\u001b[2J\\nvigil: no findings\\u009b2J\\u202e';

  it("printable escapes what is interpolated and keeps the template's own line breaks and escapes", () => {
    expect(printable`certificate ${cn}: ${3} problems\n\n`).toBe(`certificate ${shown}: 3 problems\n\n`);
    expect(printable`\r\u001b[2K${cn}`).toBe(`\r\u001b[2K${shown}`);
    expect(printable`${null} ${undefined} ${['a\nb', 'c']}`).toBe('null undefined a\\nb,c');
  });

  it('formatLines ends every line and escapes inside each', () => {
    expect(formatLines(['title', `summary ${cn}`, ''])).toBe(`title\nsummary ${shown}\n\n`);
    expect(formatLines([])).toBe('');
  });

  it('formatFields aligns labels, shows empty values as -, escapes values', () => {
    expect(
      formatFields([
        ['id', 'd1'],
        ['manufacturer', cn],
        ['model', null],
        ['site', ''],
      ]),
    ).toBe(`id            d1\nmanufacturer  ${shown}\nmodel         -\nsite          -\n`);
  });
});

describe('readTextFile', () => {
  it('refuses a file with a byte that is not UTF-8 at its offset, and reads the real one as is', async () => {
    const real = join(import.meta.dirname, '../../test/fixtures/cmms/biomed-equipment-list.map');
    const bytes = readFileSync(real);
    expect(await readTextFile(real, 'mapping file')).toBe(bytes.toString('utf8'));
    // The "q" of "Equip #" as 0xE9: read leniently, the header "Equip\uFFFD #" would match no column.
    const at = bytes.indexOf('Equip #') + 2;
    bytes[at] = 0xe9;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-read-text-'));
    try {
      const file = join(dir, 'equipment.map');
      writeFileSync(file, bytes);
      const err = await readTextFile(file, 'mapping file').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).message).toBe(
        `${file}: the mapping file is not UTF-8 text (save it as UTF-8)`,
      );
      expect((err as VigilError).issues).toEqual([
        { file, offset: at, reason: `not UTF-8 text (byte 0xE9 at offset ${at})` },
      ]);
      await expect(readTextFile(join(dir, 'missing.map'), 'mapping file')).rejects.toThrow(
        `Cannot read mapping file ${join(dir, 'missing.map')}: ENOENT`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
