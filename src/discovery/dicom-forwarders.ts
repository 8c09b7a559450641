/**
 * @module DICOM forwarders across imports: a sender seen with one CT scanner's images yesterday and an MR
 * scanner's today forwards other equipment's objects, though neither capture shows it alone. While a
 * source result is applied, each DICOM sender is weighed against what its device sent before (its stored
 * `dicom.equipment` hints): once the objects name different equipment, the host is fingerprinted again
 * without the data-set claims, and what earlier imports recorded from those claims (manufacturer, model,
 * software version, class) is withdrawn from the device (dicom-equipment.ts, docs/discovery.md).
 */
import type { Actor } from '../accounts/actor.js';
import type { FactField } from '../inventory/device.js';
import { knownDeviceOf, type Observation, withdrawObservedValues } from '../inventory/observation.js';
import { protocolsOf } from '../store/discovery-store.js';
import { deleteSuggestionValues, hintsOf } from '../store/fingerprint-store.js';
import type { DbHandle } from '../store/transaction.js';
import { dicomObjectClaims, fingerprintAgain, isDicomForwarder } from './fingerprint.js';
import type { Evidence, HostObservation, IdentityField } from './host-observation.js';

/** What a device's DICOM objects said, over all sources: the hints that name equipment, and SOP classes. */
interface DicomHistory {
  hints: HostObservation['hints'];
  sopClasses: Set<string>;
}

const OBJECT_HINT = /^dicom\.(equipment|manufacturer|model|softwareVersion)$/;
const CLAIMED_FIELDS: readonly IdentityField[] = ['manufacturer', 'model', 'softwareVersion', 'deviceClass'];

const sendsObjects = (host: HostObservation) => host.hints.some((h) => h.kind === 'dicom.equipment');

export class DicomForwarders {
  /** By device id: its stored history with what this source result added (stored only at its end). */
  private readonly history = new Map<string, DicomHistory>();

  constructor(
    private readonly actor: Actor,
    private readonly source: string,
    private readonly file: string,
  ) {}

  /**
   * The host as its device's history shows it: fingerprinted again when the device is known and its
   * earlier objects came from other equipment. `sighting` is what `observeDeviceIn` will be given.
   */
  async weigh(
    tx: DbHandle,
    host: HostObservation,
    sighting: Pick<Observation, 'macs' | 'ips' | 'hostnames' | 'facts' | 'weakOnly'>,
  ): Promise<HostObservation> {
    if (!sendsObjects(host)) return host;
    const deviceId = await knownDeviceOf(tx, sighting);
    if (!deviceId) return host;
    const known = (await this.historyOf(tx, deviceId)).hints.filter((h) => h.kind === 'dicom.equipment');
    if (known.length === 0) return host;
    return fingerprintAgain(host, { knownEquipment: known });
  }

  /**
   * After the (weighed) host was observed as `deviceId`: for a forwarder, the values earlier sources took
   * from its objects are withdrawn, facts and suggestions alike.
   */
  async settle(tx: DbHandle, deviceId: string, host: HostObservation): Promise<void> {
    if (!sendsObjects(host)) return;
    const history = await this.historyOf(tx, deviceId);
    for (const h of host.hints) if (OBJECT_HINT.test(h.kind)) history.hints.push(h);
    for (const uid of host.dicom?.sopClasses ?? []) history.sopClasses.add(uid);
    if (!isDicomForwarder(host)) return;
    const claims = dicomObjectClaims(history.hints, [...history.sopClasses]);
    const values: Partial<Record<FactField, string[]>> = {};
    for (const field of CLAIMED_FIELDS) {
      const mine = claims.get(field);
      if (mine?.size) values[field] = [...mine];
    }
    if (Object.keys(values).length === 0) return;
    const reason = host.hints.find((h) => h.kind === 'dicom.forwarder')!.value;
    await withdrawObservedValues(tx, this.actor, {
      deviceId,
      source: this.source,
      sourceRef: this.file,
      values,
      reason,
    });
    await deleteSuggestionValues(tx, deviceId, values);
  }

  private async historyOf(tx: DbHandle, deviceId: string): Promise<DicomHistory> {
    let history = this.history.get(deviceId);
    if (history) return history;
    const hints = ((await hintsOf(tx, [deviceId])).get(deviceId) ?? []).filter((h) =>
      OBJECT_HINT.test(h.kind),
    );
    const sopClasses = new Set<string>();
    for (const p of await protocolsOf(tx, [deviceId])) {
      if (p.protocol !== 'dicom') continue;
      const details = JSON.parse(p.details) as { sopClasses?: unknown };
      if (Array.isArray(details.sopClasses))
        for (const uid of details.sopClasses) if (typeof uid === 'string') sopClasses.add(uid);
    }
    history = {
      hints: hints.map((h) => ({
        kind: h.kind,
        value: h.value,
        evidence: JSON.parse(h.evidence) as Evidence,
      })),
      sopClasses,
    };
    this.history.set(deviceId, history);
    return history;
  }
}
