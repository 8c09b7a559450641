/**
 * @module The shape of a fingerprint rule: plain data, so adding a device is adding an entry, not code.
 *
 * A rule fires when every `when` condition holds: a fact of that kind whose value matches the regular
 * expression (case-insensitive unless `flags` says otherwise), or, with `absent: true`, no such fact.
 * `sets` gives identity fields (and `software`, kept as a derived hint) from templates: `{1}` is capture
 * group 1 of the first condition, `{name}` a named group of any condition, `{1|org}` and `{1|cpe}` apply a
 * transform (see TEMPLATE_TRANSFORMS in fingerprint.ts). A template that expands to nothing sets nothing.
 *
 * Confidence is how often the rule is right when it fires, 0–1, judged from its evidence:
 * ≥ 0.8 a self-identifying string (an implementation version name, a CPE from a probe match);
 * 0.5–0.7 a documented default that a person could change (DHCP vendor class, banners);
 * ≤ 0.4 circumstantial (a MAC prefix, a port number, a company's main product line).
 */
import type { DeviceClass } from '../../inventory/device.js';
import type { IdentityField } from '../host-observation.js';

export interface RuleCondition {
  /** A hint kind (HINT_KINDS) or a derived fact (DERIVED_FACTS). */
  fact: string;
  /** JavaScript regular expression source. */
  matches: string;
  /** Regex flags; default `i`. */
  flags?: string;
  /** The rule needs no fact of this kind to match. */
  absent?: boolean;
}

export type RuleOutput = Partial<Record<Exclude<IdentityField, 'deviceClass'>, string>> & {
  deviceClass?: DeviceClass;
  /** A software stack, `name version`, recorded as a `software` hint (not an identity field). */
  software?: string;
};

export interface FingerprintRule {
  /** Stable, kebab-case; shown in evidence summaries. */
  id: string;
  when: RuleCondition[];
  sets: RuleOutput;
  confidence: number;
  /** Why the rule is true: the document, source file or registry entry that shows it. */
  why: string;
}
