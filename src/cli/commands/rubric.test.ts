/**
 * `vigil rubric …` and `vigil queue --groups` through the built binary against a temporary SQLite file:
 * a guided questionnaire answered on stdin, answers set with --set, what they make of a real vector
 * (CVE-2024-40711, CVSS 3.0, from the CVE 5 record fixture), and the queue folded by model.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const FEEDS = join(root, 'test/fixtures/feeds');
let db = '';

function vigil(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[], input?: string) {
  const r = vigil(args, input);
  if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} → ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

beforeAll(() => {
  db = join(mkdtempSync(join(tmpdir(), 'vigil-rubric-')), 'vigil.db');
  ok(['db', 'migrate']);
  for (const tag of ['WS-1', 'WS-2'])
    ok([
      'devices',
      'add',
      '--asset-tag',
      tag,
      '--manufacturer',
      'Veeam',
      '--model',
      'Backup and Recovery',
      '--software',
      '12.1.2',
    ]);
  ok(['advisories', 'import', join(FEEDS, 'cve5/vulnrichment-records.jsonl')]);
}, 180_000);

// Each step starts a Node process; on a busy 2-core machine that takes seconds.
describe('vigil rubric', { timeout: 180_000 }, () => {
  it('prints the questionnaire', () => {
    const q = JSON.parse(ok(['rubric', 'questions', '--json'])) as { id: string }[];
    expect(q.map((x) => x.id)).toContain('XAVN');
    expect(q).toHaveLength(20);
  });

  it('guides through the questions on stdin: numbers or values, Enter skips, q saves and stops', () => {
    // XAVN: 2 (no); XAVW: "yes"; XAVR: Enter (skip); XACL: a wrong answer, then 2 (no); then q.
    const out = ok(
      ['rubric', 'answer', '--model-of', 'WS-1', '--guided', '--json'],
      '2\nyes\n\nperhaps\n2\nq\n',
    );
    const saved = JSON.parse(out.slice(out.indexOf('{'))) as { answers: Record<string, string> };
    expect(saved.answers).toEqual({ XAVN: 'no', XAVW: 'yes', XACL: 'no' });
    expect(out).toContain('not an option: perhaps');
  });

  it('sets answers with --set, refuses bad ones with exit 65, and shows what they make of a vector', () => {
    ok(['rubric', 'answer', '--model-of', 'WS-2', '--set', 'XCP=high', '--set', 'xui=YES']);
    const bad = vigil(['rubric', 'answer', '--model-of', 'WS-2', '--set', 'XAVN=sometimes']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('answers.XAVN');
    const shown = JSON.parse(
      ok([
        'rubric',
        'show',
        '--model-of',
        'WS-1',
        '--vector',
        'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        '--json',
      ]),
    ) as {
      rubric: { answers: Record<string, string> };
      vector: { environmental: string; justification: unknown[] };
    };
    expect(shown.rubric.answers).toEqual({ XAVN: 'no', XAVW: 'yes', XACL: 'no', XCP: 'high', XUI: 'yes' });
    expect(shown.vector.environmental).toBe(
      'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:M/AR:M/MAV:A/MUI:R',
    );
    const text = ok([
      'rubric',
      'show',
      '--model-of',
      'WS-1',
      '--vector',
      'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    ]);
    expect(text).toMatch(/MAV:A .*XAVW/);
    expect(ok(['rubric', 'list'])).toContain('Veeam Backup and Recovery');
  });

  it('folds the queue by model and fix', () => {
    const groups = JSON.parse(ok(['queue', '--groups', '--json'])) as { devices: number; model: string }[];
    expect(groups.some((g) => g.model === 'Backup and Recovery' && g.devices === 2)).toBe(true);
    const page = JSON.parse(ok(['queue', '--json', '--limit', '1', '--offset', '1'])) as { rank: number }[];
    expect(page.map((i) => i.rank)).toEqual([2]);
  });
});
