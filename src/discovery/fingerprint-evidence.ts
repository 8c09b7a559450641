/**
 * @module What an import keeps of a host's fingerprint beyond its device's facts: the hints (what the
 * device said about itself, with the packet that first showed each) and the identity values too
 * uncertain to be facts (suggestions), gathered per device while the hosts are resolved and stored at the
 * end of the import's transaction (`docs/inventory.md`, "Fingerprint evidence").
 */
import {
  deleteSuggestions,
  type HintRow,
  type SuggestionRow,
  upsertHints,
  upsertSuggestions,
} from '../store/fingerprint-store.js';
import { nowIso } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';
import { isDerivedHint } from './fingerprint.js';
import { type HostObservation, IDENTITY_FIELDS, storedEvidence } from './host-observation.js';

export class FingerprintEvidence {
  /** By `device kind value`. */
  private readonly hints = new Map<string, HintRow>();
  /** The most confident suggestion per `device field`. */
  private readonly suggestions = new Map<string, SuggestionRow>();
  /** Fields this source made facts of: an older suggestion for them is moot. */
  private readonly settled = new Map<string, { deviceId: string; field: string }>();

  constructor(
    private readonly minConfidence: number,
    private readonly source: string,
    private readonly file: string,
  ) {}

  /** One host resolved to `deviceId`; a device's several hosts (IPv4, IPv6) add up. */
  add(deviceId: string, host: HostObservation): void {
    this.addHints(deviceId, host);
    this.addSuggestions(deviceId, host);
  }

  async store(tx: DbHandle): Promise<void> {
    await upsertHints(tx, [...this.hints.values()]);
    await deleteSuggestions(tx, [...this.settled.values()]);
    await upsertSuggestions(
      tx,
      [...this.suggestions].flatMap(([key, row]) => (this.settled.has(key) ? [] : [row])),
    );
  }

  /** Each hint once per device, with its earliest sighting's evidence and its latest sighting. */
  private addHints(deviceId: string, host: HostObservation): void {
    for (const x of host.hints) {
      if (isDerivedHint(x.kind)) continue; // fingerprint outputs, not what the device said
      const key = `${deviceId}\u0000${x.kind}\u0000${x.value}`;
      const at = x.evidence.time ?? host.firstSeen;
      const prev = this.hints.get(key);
      if (prev) {
        if (at > prev.last_seen) prev.last_seen = at;
        if (at < prev.first_seen) {
          prev.first_seen = at;
          prev.evidence = storedEvidence(x.evidence);
        }
        continue;
      }
      this.hints.set(key, {
        device_id: deviceId,
        kind: x.kind,
        value: x.value,
        source: this.source,
        source_ref: this.file,
        evidence: storedEvidence(x.evidence),
        first_seen: at,
        last_seen: at,
      });
    }
  }

  /** Identity values under the fact threshold, the most confident per field, with the rule's evidence. */
  private addSuggestions(deviceId: string, host: HostObservation): void {
    for (const field of IDENTITY_FIELDS) {
      const v = host.identity[field];
      if (!v) continue;
      const key = `${deviceId}\u0000${field}`;
      if (v.confidence >= this.minConfidence) {
        this.settled.set(key, { deviceId, field });
        continue;
      }
      const prev = this.suggestions.get(key);
      if (prev && prev.confidence >= v.confidence) continue;
      this.suggestions.set(key, {
        device_id: deviceId,
        field,
        value: v.value,
        confidence: v.confidence,
        source: this.source,
        source_ref: this.file,
        evidence: storedEvidence(v.evidence),
        updated_at: nowIso(),
      });
    }
  }
}
