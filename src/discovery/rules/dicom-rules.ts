/**
 * @module Fingerprint rules from DICOM evidence: the implementation class UID and version name of the
 * A-ASSOCIATE (which name the DICOM toolkit and its version), the roles and SOP classes a host used (CT
 * storage from a modality, storage SCP on a PACS) and the equipment attributes of the data sets it sent.
 *
 * A toolkit is not a product: Orthanc and dcmtk's storescp both report OFFIS_DCMTK_367 (shared captures
 * README), and vendors build on dcmtk, Merge or dcm4che. Stacks are therefore recorded as `software`, not as
 * the device's software version.
 * @see DICOM PS3.7 Annex D.3.3.2 Implementation Class UID and Version Name
 */
import { PLACEHOLDER_VALUE } from '../placeholder-value.js';
import type { FingerprintRule } from './fingerprint-rule.js';

/**
 * A data set's equipment attribute, unless it is a placeholder (placeholder-value.ts). The value is still
 * kept as a hint, with its evidence.
 */
const NAMED_VALUE = `^(?!${PLACEHOLDER_VALUE}$)(.+)$`;

/**
 * A data set's Software Versions, unless it says nothing: a placeholder, or only zeros (`0.0.0`, as in
 * sample data sets). Taken as the device's version, zeros would sit below every fixed version and make
 * the device look affected by every advisory for its model; the value stays a hint with its evidence.
 */
const STATED_VERSION = `^(?!${PLACEHOLDER_VALUE}$|\\s*0+(?:[._-]0+)*\\s*$)(.+)$`;

/**
 * The host has not been seen sending objects made by different devices (`dicom.forwarder`,
 * dicom-equipment.ts): only then do the objects it sends say what it is.
 */
const NOT_FORWARDED = { fact: 'dicom.forwarder', matches: '.', absent: true } as const;

export const DICOM_RULES: FingerprintRule[] = [
  // ---- Toolkits -----------------------------------------------------------------------------------------
  {
    id: 'dicom-impl-dcmtk',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^OFFIS_DCMTK_(\\d)(\\d)(\\d+)$' }],
    sets: { software: 'dcmtk {1}.{2}.{3}' },
    confidence: 0.9,
    why: 'dcmtk sends OFFIS_DCMTK_ + its version digits (dcmdata/include/dcmtk/dcmdata/dcuid.h OFFIS_DTK_IMPLEMENTATION_VERSION_NAME); shared capture 02 shows OFFIS_DCMTK_367 for dcmtk 3.6.7.',
  },
  {
    id: 'dicom-impl-uid-dcmtk',
    when: [
      {
        fact: 'dicom.implementationClassUid',
        matches: '^1\\.2\\.276\\.0\\.7230010\\.3\\.0\\.(\\d+)\\.(\\d+)\\.(\\d+)$',
      },
    ],
    sets: { software: 'dcmtk {1}.{2}.{3}' },
    confidence: 0.9,
    why: "dcmtk's implementation class UID is OFFIS's root 1.2.276.0.7230010.3 + .0. + version (dcuid.h OFFIS_IMPLEMENTATION_CLASS_UID).",
  },
  {
    id: 'dicom-impl-dcm4che',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^dcm4che-([\\w.-]+)$' }],
    sets: { software: 'dcm4che {1}' },
    confidence: 0.9,
    why: 'dcm4che Implementation.versionName() = "dcm4che-" + package version, cut to 16 characters (org.dcm4che3.data.Implementation).',
  },
  {
    id: 'dicom-impl-uid-dcm4che',
    when: [{ fact: 'dicom.implementationClassUid', matches: '^1\\.2\\.40\\.0\\.13\\.1\\.(1|3)$' }],
    sets: { software: 'dcm4che' },
    confidence: 0.85,
    why: 'dcm4che-2 uses implementation class UID 1.2.40.0.13.1.1 and dcm4che-3/5 1.2.40.0.13.1.3 (Implementation.IMPL_CLASS_UID).',
  },
  {
    id: 'dicom-impl-fo-dicom',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^fo-dicom ([\\d.]+)$' }],
    sets: { software: 'fo-dicom {1}' },
    confidence: 0.9,
    why: 'fo-dicom DicomImplementation.Version = "fo-dicom MAJOR.MINOR.BUILD" with class UID 1.3.6.1.4.1.30071.8.',
  },
  {
    id: 'dicom-impl-uid-fo-dicom',
    when: [{ fact: 'dicom.implementationClassUid', matches: '^1\\.3\\.6\\.1\\.4\\.1\\.30071\\.8$' }],
    sets: { software: 'fo-dicom' },
    confidence: 0.85,
    why: 'fo-dicom DicomImplementation.ClassUID is 1.3.6.1.4.1.30071.8.',
  },
  {
    id: 'dicom-impl-pynetdicom',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^PYNETDICOM3?_(\\d)(\\d)(\\d+)$' }],
    sets: { software: 'pynetdicom {1}.{2}.{3}' },
    confidence: 0.9,
    why: 'pynetdicom PYNETDICOM_IMPLEMENTATION_VERSION = "PYNETDICOM_" + release digits ("PYNETDICOM3_" before 1.0).',
  },
  {
    id: 'dicom-impl-uid-pynetdicom',
    when: [
      {
        fact: 'dicom.implementationClassUid',
        matches: '^1\\.2\\.826\\.0\\.1\\.3680043\\.9\\.3811\\.([\\d.]+)$',
      },
    ],
    sets: { software: 'pynetdicom {1}' },
    confidence: 0.85,
    why: 'pynetdicom implementation class UID = PYNETDICOM_UID_PREFIX 1.2.826.0.1.3680043.9.3811. + version.',
  },
  {
    id: 'dicom-impl-merge',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^MergeCOM3_(\\w+)$' }],
    sets: { software: 'Merge DICOM Toolkit {1}' },
    confidence: 0.8,
    why: 'The Merge (MergeCOM-3) toolkit\'s default IMPLEMENTATION_VERSION is "MergeCOM3_<version>" (mergecom.pro); vendors may keep it, as in files with MergeCOM3_320/410.',
  },
  {
    id: 'dicom-impl-gdcm',
    when: [{ fact: 'dicom.implementationVersionName', matches: '^GDCM ([\\d.]+)$' }],
    sets: { software: 'GDCM {1}' },
    confidence: 0.85,
    why: 'GDCM writes Implementation Version Name "GDCM x.y.z" (gdcm::FileMetaInformation::GetGDCMImplementationVersionName).',
  },
  // ---- Roles and SOP classes ----------------------------------------------------------------------------
  {
    id: 'dicom-role-pacs',
    when: [{ fact: 'dicom.role', matches: '^pacs$' }],
    sets: { deviceClass: 'pacs' },
    confidence: 0.7,
    why: 'A host acting as storage and query/retrieve SCP for other nodes is an archive (PS3.4 Annex B and C SCP roles).',
  },
  {
    id: 'dicom-modality-ct',
    when: [
      { fact: 'dicom.storageModalities', matches: '^CT$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'imaging-ct' },
    confidence: 0.6,
    why: 'Only CT images sent as storage SCU: the behaviour of a CT scanner (PS3.4 B.5 CT Image Storage).',
  },
  {
    id: 'dicom-modality-mr',
    when: [
      { fact: 'dicom.storageModalities', matches: '^MR$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'imaging-mr' },
    confidence: 0.6,
    why: 'Only MR images sent as storage SCU: an MR scanner.',
  },
  {
    id: 'dicom-modality-us',
    when: [
      { fact: 'dicom.storageModalities', matches: '^US$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'imaging-us' },
    confidence: 0.6,
    why: 'Only ultrasound images sent as storage SCU: an ultrasound system.',
  },
  {
    id: 'dicom-modality-xr',
    when: [
      { fact: 'dicom.storageModalities', matches: '^(CR|DX|MG|IO|XA|RF)(,(CR|DX|MG|IO|XA|RF))*$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'imaging-xr' },
    confidence: 0.6,
    why: 'Only projection X-ray images (CR, DX, mammography, angiography, fluoroscopy): an X-ray system.',
  },
  {
    id: 'dicom-modality-nm',
    when: [
      { fact: 'dicom.storageModalities', matches: '^(NM|PT)(,(NM|PT))*$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'imaging-nm' },
    confidence: 0.6,
    why: 'Only NM or PET images: a nuclear medicine or PET system.',
  },
  {
    id: 'dicom-modality-ecg',
    when: [
      { fact: 'dicom.storageModalities', matches: '^(ECG|HD|EPS)(,(ECG|HD|EPS))*$' },
      { fact: 'dicom.role', matches: '^(pacs|workstation)$', absent: true },
      NOT_FORWARDED,
    ],
    sets: { deviceClass: 'other-medical' },
    confidence: 0.55,
    why: 'Only ECG/haemodynamic waveforms (PS3.3 A.34): an electrocardiograph or cardiology recorder; Vigil has no ECG class.',
  },
  {
    id: 'dicom-several-modalities',
    when: [
      { fact: 'dicom.storageModalities', matches: ',' },
      { fact: 'dicom.role', matches: '^pacs$', absent: true },
    ],
    sets: { deviceClass: 'medical-workstation' },
    confidence: 0.4,
    why: 'A storage SCU sending objects of several modalities forwards or post-processes images: a workstation or router.',
  },
  {
    id: 'dicom-forwarder',
    when: [
      { fact: 'dicom.forwarder', matches: '.' },
      { fact: 'dicom.role', matches: '^pacs$', absent: true },
    ],
    sets: { deviceClass: 'medical-workstation' },
    confidence: 0.5,
    why: "A storage SCU sending objects whose General Equipment Module (PS3.3 C.7.5.1) names different devices re-sends other equipment's objects: a workstation, treatment planning system, PACS or router, not a modality.",
  },
  {
    id: 'dicom-rt-plan',
    when: [
      { fact: 'dicom.sopClass', matches: '^1\\.2\\.840\\.10008\\.5\\.1\\.4\\.1\\.1\\.481\\.5$' },
      { fact: 'dicom.role', matches: '^pacs$', absent: true },
    ],
    sets: { deviceClass: 'medical-workstation' },
    confidence: 0.45,
    why: 'RT Plan Storage as SCU comes from treatment planning systems (PS3.3 A.20 RT Plan IOD).',
  },
  {
    id: 'dicom-scp-port',
    when: [{ fact: 'service', matches: '^tcp/\\d+/dicom$' }],
    sets: { deviceClass: 'pacs' },
    confidence: 0.3,
    why: 'A listening DICOM SCP (104, 11112, 4242 …): most are archives; modalities and workstations also listen, so low confidence.',
  },
  // ---- Equipment attributes from data sets (General Equipment Module) ------------------------------------
  {
    id: 'dicom-dataset-manufacturer',
    when: [{ fact: 'dicom.manufacturer', matches: NAMED_VALUE }, NOT_FORWARDED],
    sets: { manufacturer: '{1|org}' },
    confidence: 0.7,
    why: "Manufacturer (0008,0070) of the equipment that produced the objects (PS3.3 C.7.5.1): the sender's own only while all it sends names one device; a forwarder's objects name others.",
  },
  {
    id: 'dicom-dataset-model',
    when: [{ fact: 'dicom.model', matches: NAMED_VALUE }, NOT_FORWARDED],
    sets: { model: '{1}' },
    confidence: 0.65,
    why: "Manufacturer's Model Name (0008,1090), PS3.3 C.7.5.1.",
  },
  {
    id: 'dicom-dataset-software',
    when: [{ fact: 'dicom.softwareVersion', matches: STATED_VERSION }, NOT_FORWARDED],
    sets: { softwareVersion: '{1}' },
    confidence: 0.6,
    why: 'Software Versions (0018,1020), PS3.3 C.7.5.1.',
  },
  {
    id: 'mdns-dicom-service',
    when: [{ fact: 'mdns.service', matches: '^_dicom(-tls)?\\._tcp' }],
    sets: { deviceClass: 'pacs' },
    confidence: 0.3,
    why: 'DNS-SD "_dicom._tcp" announces a DICOM SCP (PS3.15 Annex H; PS3.18 DNS-SD); usually an archive.',
  },
];
