/**
 * @module Storage SOP class UIDs → the modality that creates such objects, for telling a CT scanner from an
 * MR scanner or an ECG cart by what it stores. The UIDs, names and modalities live once, in
 * `dissect/dicom-uids.ts` (`DICOM_STORAGE_MODALITIES`, `DICOM_SOP_CLASS_NAMES`); this is the view the
 * fingerprint rules use.
 * @see DICOM PS3.4 Annex B.5 Standard SOP Classes (Storage Service Class)
 * @see DICOM PS3.6 Annex A Registry of DICOM Unique Identifiers
 */
import { DICOM_SOP_CLASS_NAMES, DICOM_STORAGE_MODALITIES } from '../../dissect/dicom-uids.js';

export interface StorageSopClass {
  uid: string;
  name: string;
  /** Modality code as in (0008,0060) (PS3.3 C.7.3.1.1.1). */
  modality: string;
}

export const STORAGE_SOP_CLASSES: readonly StorageSopClass[] = Object.entries(DICOM_STORAGE_MODALITIES).map(
  ([uid, modality]) => ({ uid, name: DICOM_SOP_CLASS_NAMES[uid] ?? uid, modality }),
);

const BY_UID = new Map(STORAGE_SOP_CLASSES.map((c) => [c.uid, c]));

export function storageSopClass(uid: string): StorageSopClass | undefined {
  return BY_UID.get(uid.trim());
}
