import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { formatTable, readTextFile } from './io.js';

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
