import { describe, expect, it } from 'vitest';
import { formatTable } from './io.js';

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
