import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES } from '../inventory/device.js';
import { compileRules, TEMPLATE_TRANSFORMS } from './fingerprint.js';
import { DERIVED_FACTS, HINT_KINDS } from './fingerprint-hints.js';
import { STORAGE_SOP_CLASSES } from './rules/dicom-sop-classes.js';
import { FINGERPRINT_RULES } from './rules/index.js';
import { MEDICAL_MAKERS } from './rules/medical-rules.js';

/** The contract every rule entry keeps, so that adding one is safe without reading the engine. */
describe('fingerprint rule data', () => {
  const known = new Set([...Object.keys(HINT_KINDS), ...Object.keys(DERIVED_FACTS)]);

  it('has unique ids', () => {
    const ids = FINGERPRINT_RULES.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each(FINGERPRINT_RULES.map((r) => [r.id, r] as const))('%s is well-formed', (_, rule) => {
    expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(rule.why.length).toBeGreaterThan(20);
    expect(rule.confidence).toBeGreaterThan(0);
    expect(rule.confidence).toBeLessThanOrEqual(0.95);
    expect(rule.when.some((c) => !c.absent)).toBe(true);
    for (const c of rule.when) {
      expect(known, `${rule.id}: unknown fact ${c.fact}`).toContain(c.fact);
      // Derived outputs are never inputs: a rule on them would make a second run differ from the first.
      expect(c.fact).not.toMatch(/^(software|candidate\.)/);
    }
    if (rule.sets.deviceClass) expect(DEVICE_CLASSES).toContain(rule.sets.deviceClass);
    expect(Object.keys(rule.sets).length).toBeGreaterThan(0);
    for (const template of Object.values(rule.sets)) {
      for (const m of String(template).matchAll(/\{(\w+)(?:\|(\w+))?\}/g)) {
        if (m[2]) expect(TEMPLATE_TRANSFORMS, `${rule.id}: transform ${m[2]}`).toHaveProperty(m[2]);
        if (/^\d+$/.test(m[1]!)) {
          // A numbered group must exist in the first positive condition's pattern.
          const first = rule.when.find((c) => !c.absent)!;
          const groups = new RegExp(`${first.matches}|`).exec('')!.length - 1;
          expect(Number(m[1]), `${rule.id}: {${m[1]}} but ${groups} groups`).toBeLessThanOrEqual(groups);
        }
      }
    }
  });

  it('compiles every pattern', () => {
    expect(compileRules(FINGERPRINT_RULES)).toHaveLength(FINGERPRINT_RULES.length);
  });

  it('matches every medical maker registry pattern to a real registry entry', () => {
    const table = JSON.parse(
      readFileSync(new URL('../../node_modules/oui-data/index.json', import.meta.url), 'utf8'),
    ) as Record<string, string>;
    const names = [...new Set(Object.values(table).map((v) => v.split('\n', 1)[0]!.trim()))];
    for (const m of MEDICAL_MAKERS) {
      const re = new RegExp(m.registry, 'i');
      expect(
        names.some((n) => re.test(n)),
        `${m.name}: ${m.registry}`,
      ).toBe(true);
    }
  });

  it('lists each storage SOP class once', () => {
    const uids = STORAGE_SOP_CLASSES.map((c) => c.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^1\.2\.840\.10008\.5\.1\.4\.1\.1(\.\d+)+$/);
  });
});
