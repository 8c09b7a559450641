/**
 * @module Storage SOP class UIDs → the modality that creates such objects, for telling a CT scanner from an
 * MR scanner or an ECG cart by what it stores. Only classes that name one kind of equipment are listed;
 * Secondary Capture, SR, presentation states and the like are made by any workstation, so they are not.
 *
 * Names and UIDs are those of DICOM PS3.6 Annex A (checked against pydicom 2.3's UID dictionary).
 * @see DICOM PS3.4 Annex B.5 Standard SOP Classes (Storage Service Class)
 * @see DICOM PS3.6 Annex A Registry of DICOM Unique Identifiers
 */

export interface StorageSopClass {
  uid: string;
  name: string;
  /** Modality code as in (0008,0060) (PS3.3 C.7.3.1.1.1). */
  modality: string;
}

export const STORAGE_SOP_CLASSES: readonly StorageSopClass[] = [
  { uid: '1.2.840.10008.5.1.4.1.1.2', name: 'CT Image Storage', modality: 'CT' },
  { uid: '1.2.840.10008.5.1.4.1.1.2.1', name: 'Enhanced CT Image Storage', modality: 'CT' },
  { uid: '1.2.840.10008.5.1.4.1.1.2.2', name: 'Legacy Converted Enhanced CT Image Storage', modality: 'CT' },
  { uid: '1.2.840.10008.5.1.4.1.1.4', name: 'MR Image Storage', modality: 'MR' },
  { uid: '1.2.840.10008.5.1.4.1.1.4.1', name: 'Enhanced MR Image Storage', modality: 'MR' },
  { uid: '1.2.840.10008.5.1.4.1.1.4.2', name: 'MR Spectroscopy Storage', modality: 'MR' },
  { uid: '1.2.840.10008.5.1.4.1.1.4.3', name: 'Enhanced MR Color Image Storage', modality: 'MR' },
  { uid: '1.2.840.10008.5.1.4.1.1.6.1', name: 'Ultrasound Image Storage', modality: 'US' },
  { uid: '1.2.840.10008.5.1.4.1.1.3.1', name: 'Ultrasound Multi-frame Image Storage', modality: 'US' },
  { uid: '1.2.840.10008.5.1.4.1.1.6.2', name: 'Enhanced US Volume Storage', modality: 'US' },
  { uid: '1.2.840.10008.5.1.4.1.1.1', name: 'Computed Radiography Image Storage', modality: 'CR' },
  {
    uid: '1.2.840.10008.5.1.4.1.1.1.1',
    name: 'Digital X-Ray Image Storage - For Presentation',
    modality: 'DX',
  },
  {
    uid: '1.2.840.10008.5.1.4.1.1.1.1.1',
    name: 'Digital X-Ray Image Storage - For Processing',
    modality: 'DX',
  },
  {
    uid: '1.2.840.10008.5.1.4.1.1.1.2',
    name: 'Digital Mammography X-Ray Image Storage - For Presentation',
    modality: 'MG',
  },
  {
    uid: '1.2.840.10008.5.1.4.1.1.1.2.1',
    name: 'Digital Mammography X-Ray Image Storage - For Processing',
    modality: 'MG',
  },
  {
    uid: '1.2.840.10008.5.1.4.1.1.1.3',
    name: 'Digital Intra-Oral X-Ray Image Storage - For Presentation',
    modality: 'IO',
  },
  { uid: '1.2.840.10008.5.1.4.1.1.12.1', name: 'X-Ray Angiographic Image Storage', modality: 'XA' },
  { uid: '1.2.840.10008.5.1.4.1.1.12.1.1', name: 'Enhanced XA Image Storage', modality: 'XA' },
  { uid: '1.2.840.10008.5.1.4.1.1.12.2', name: 'X-Ray Radiofluoroscopic Image Storage', modality: 'RF' },
  { uid: '1.2.840.10008.5.1.4.1.1.12.2.1', name: 'Enhanced XRF Image Storage', modality: 'RF' },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.3', name: 'Breast Tomosynthesis Image Storage', modality: 'MG' },
  { uid: '1.2.840.10008.5.1.4.1.1.20', name: 'Nuclear Medicine Image Storage', modality: 'NM' },
  { uid: '1.2.840.10008.5.1.4.1.1.128', name: 'Positron Emission Tomography Image Storage', modality: 'PT' },
  { uid: '1.2.840.10008.5.1.4.1.1.130', name: 'Enhanced PET Image Storage', modality: 'PT' },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.1', name: '12-lead ECG Waveform Storage', modality: 'ECG' },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.2', name: 'General ECG Waveform Storage', modality: 'ECG' },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.3', name: 'Ambulatory ECG Waveform Storage', modality: 'ECG' },
  { uid: '1.2.840.10008.5.1.4.1.1.9.2.1', name: 'Hemodynamic Waveform Storage', modality: 'HD' },
  {
    uid: '1.2.840.10008.5.1.4.1.1.9.3.1',
    name: 'Cardiac Electrophysiology Waveform Storage',
    modality: 'EPS',
  },
  { uid: '1.2.840.10008.5.1.4.1.1.481.1', name: 'RT Image Storage', modality: 'RTIMAGE' },
  { uid: '1.2.840.10008.5.1.4.1.1.481.5', name: 'RT Plan Storage', modality: 'RTPLAN' },
  {
    uid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
    name: 'Ophthalmic Photography 8 Bit Image Storage',
    modality: 'OP',
  },
  {
    uid: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
    name: 'Ophthalmic Tomography Image Storage',
    modality: 'OPT',
  },
];

const BY_UID = new Map(STORAGE_SOP_CLASSES.map((c) => [c.uid, c]));

export function storageSopClass(uid: string): StorageSopClass | undefined {
  return BY_UID.get(uid.trim());
}
