/**
 * @module Fingerprint rules for medical device makers and clinical systems: IEEE OUI registrations of
 * medical device companies, their names in free-text identifiers (DHCP vendor class, DNS-SD, certificate
 * subjects), DNS-SD TXT conventions and HL7 roles. Only what public records show is encoded: a company's
 * registry entry, and a device class only where that entry itself names the business line (e.g. "Philips
 * Medical Systems - Cardiac and Monitoring Systems") or the company makes one kind of networked device.
 */
import type { DeviceClass } from '../../inventory/device.js';
import type { FingerprintRule } from './fingerprint-rule.js';

interface MedicalMaker {
  /** Name Vigil shows. */
  name: string;
  /** Matches the IEEE registry organisation name(s) of this maker (oui-data 2.1.9). */
  registry: string;
  /** Matches the maker's name in free text (vendor class, DNS-SD, certificate O=). */
  text?: string;
  /** Only where the registry entry or the company's single product line supports it. */
  deviceClass?: DeviceClass;
  why?: string;
}

export const MEDICAL_MAKERS: MedicalMaker[] = [
  {
    name: 'GE Healthcare',
    registry: '^(GE Healthcare|GE Medical System)',
    text: '\\bGE (Healthcare|Medical Systems)\\b',
  },
  {
    name: 'Philips',
    registry: '^Philips Medical Systems - Cardiac and Monitoring',
    text: '\\bPhilips (Medical|Healthcare)\\b',
    deviceClass: 'patient-monitor',
    why: 'the registry entry names the Cardiac and Monitoring Systems business (IntelliVue monitors)',
  },
  { name: 'Philips', registry: '^Philips Healthcare' },
  {
    name: 'Siemens Healthineers',
    registry: '^Siemens Healthcare Diagnostics',
    text: '\\bSiemens (Healthineers|Healthcare|Medical)\\b',
    deviceClass: 'lab-analyzer',
    why: 'the registry entry names the Diagnostics (in-vitro laboratory) business',
  },
  { name: 'Spacelabs Healthcare', registry: '^SPACELABS MEDICAL', text: '\\bSpacelabs\\b' },
  { name: 'Mortara Instrument', registry: '^Mortara Instrument', text: '\\bMortara\\b' },
  { name: 'Baxter', registry: '^Baxter International', text: '\\bBaxter\\b' },
  { name: 'Draeger', registry: '^(Draeger Medical|Drägerwerk)', text: '\\b(Draeger|Dräger)\\b' },
  { name: 'Mindray', registry: '^Mindray', text: '\\bMindray\\b' },
  { name: 'Nihon Kohden', registry: '^NIHON KOHDEN', text: '\\bNihon Kohden\\b' },
  {
    name: 'Masimo',
    registry: '^Masimo Corp',
    text: '\\bMasimo\\b',
    deviceClass: 'pulse-oximeter',
    why: "Masimo's networked bedside products are pulse oximetry monitors (Radical-7, Rad-97)",
  },
  {
    name: 'Nonin Medical',
    registry: '^Nonin Medical',
    deviceClass: 'pulse-oximeter',
    why: 'Nonin makes pulse oximeters only',
  },
  { name: 'Medtronic', registry: '^Medtronic', text: '\\bMedtronic\\b' },
  { name: 'B. Braun', registry: '^B\\.Braun Melsungen', text: '\\bB\\. ?Braun\\b' },
  {
    name: 'BD (Alaris)',
    registry: '^(ALARIS MEDICAL SYSTEMS|Alaris, Inc\\.)',
    text: '\\bAlaris\\b',
    deviceClass: 'infusion-pump',
    why: 'Alaris registered these prefixes for its infusion systems',
  },
  { name: 'BD', registry: '^Becton,? Dickinson' },
  { name: 'CareFusion', registry: '^Carefusion' },
  {
    name: 'Fresenius Kabi',
    registry: '^FRESENIUS-VIAL',
    deviceClass: 'infusion-pump',
    why: "Fresenius Vial was Fresenius Kabi's infusion pump maker (Agilia, Volumat)",
  },
  { name: 'Fresenius Medical Care', registry: '^(FRESENIUS MEDICAL CARE|Fresenius Medical Care)' },
  { name: 'ICU Medical', registry: '^ICU Medical', text: '\\bICU Medical\\b' },
  {
    name: 'Q Core Medical',
    registry: '^(Q Core Medical|QCORE Medical)',
    deviceClass: 'infusion-pump',
    why: 'Q Core makes the Sapphire infusion pump only',
  },
  { name: 'Hill-Rom', registry: '^Hill-Rom', text: '\\bHill-?Rom\\b' },
  { name: 'Edwards Lifesciences', registry: '^Edwards Lifesciences' },
  { name: 'Getinge', registry: '^(Maquet|Getinge)', text: '\\b(Maquet|Getinge)\\b' },
  {
    name: 'Getinge',
    registry: '^Maquet Critical Care',
    deviceClass: 'ventilator',
    why: 'Maquet Critical Care AB makes the Servo ventilators',
  },
  {
    name: 'ResMed',
    registry: '^RESMED',
    text: '\\bResMed\\b',
    deviceClass: 'ventilator',
    why: "ResMed's connected devices are CPAP and ventilators",
  },
  {
    name: 'Breas Medical',
    registry: '^Breas Medical',
    deviceClass: 'ventilator',
    why: 'Breas makes home ventilators',
  },
  {
    name: 'Abbott',
    registry: '^Abbott (Diagnostics|Point of Care)',
    deviceClass: 'lab-analyzer',
    why: "the registry entries name Abbott's diagnostics and point-of-care testing (i-STAT) businesses",
  },
  {
    name: 'Beckman Coulter',
    registry: '^(Beckman Coulter|BECKMAN LAB\\. AUTOMATION)',
    text: '\\bBeckman Coulter\\b',
    deviceClass: 'lab-analyzer',
    why: 'Beckman Coulter makes laboratory analyzers and lab automation',
  },
  { name: 'Carestream Health', registry: '^Carestream Health', text: '\\bCarestream\\b' },
  { name: 'Agfa HealthCare', registry: '^AGFA CORPORATION' },
  { name: 'Fujifilm Healthcare', registry: '^FUJIFILM Healthcare' },
  { name: 'Karl Storz', registry: '^Karl Storz', text: '\\bKarl Storz\\b' },
  { name: 'Intuitive Surgical', registry: '^Intuitive Surgical' },
  { name: 'Boston Scientific', registry: '^Boston Scientific' },
  { name: 'Biotronik', registry: '^BIOTRONIK', text: '\\bBiotronik\\b' },
  { name: 'Esaote', registry: '^ESAOTE' },
  { name: 'Hitachi Aloka Medical', registry: '^Hitachi Aloka Medical' },
  { name: 'Omron Healthcare', registry: '^(OMRON HEALTHCARE|Omron Healthcare)' },
  { name: 'Laerdal Medical', registry: '^Laerdal Medical' },
  { name: 'Natus', registry: '^IndiNatus' },
  { name: 'Criticare Systems', registry: '^Criticare Systems' },
  { name: 'Invivo', registry: '^Invivo Research' },
  { name: 'Medcaptain', registry: '^MEDCAPTAIN MEDICAL' },
];

/**
 * Registry names of companies that sell network chips and modules to every industry: their prefix says
 * nothing about who built the device, so they do not set a manufacturer.
 */
export const COMPONENT_VENDORS =
  '^(Intel Corporate|Realtek|Broadcom|Qualcomm|Murata|Espressif|Texas Instruments|Microchip|Silicon Laboratories|u-blox|Hon Hai|AzureWave|LITE-ON|Liteon|Marvell|MediaTek|Ralink|Atheros|Quectel|SIMCom|Telit|Sierra Wireless|Digi International|Lantronix|USI|Universal Global Scientific|Nordic Semiconductor|Cypress|Infineon|NXP|STMicro|Samsung Electro-Mechanics|Wistron|Compal|Pegatron|Quanta|Inventec|ASUSTek|Gigabyte|Micro-Star|ASRock|Super Micro|VMware|QEMU|Xensource|Microsoft Corporation|Parallels|Oracle)';

function makerRules(): FingerprintRule[] {
  const rules: FingerprintRule[] = [];
  MEDICAL_MAKERS.forEach((m, i) => {
    const key = m.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    rules.push({
      id: `oui-medical-${key}-${i}`,
      when: [{ fact: 'oui.vendor', matches: m.registry }],
      sets: { manufacturer: m.name, deviceClass: m.deviceClass ?? 'other-medical' },
      confidence: m.deviceClass ? 0.4 : 0.35,
      why: `IEEE registry assigns this prefix to ${m.name}, a medical device maker${m.why ? `; ${m.why}` : ''}. A NIC prefix is circumstantial: any protocol evidence outranks it.`,
    });
    if (m.text) {
      for (const fact of [
        'dhcp.vendorClass',
        'mdns.instance',
        'tls.certSubject',
        'snmp.sysDescr',
        'http.title',
      ]) {
        rules.push({
          id: `text-medical-${key}-${fact.replace('.', '-').toLowerCase()}`,
          when: [{ fact, matches: m.text }],
          sets: { manufacturer: m.name },
          confidence: 0.45,
          why: `The device put its maker's name (${m.name}) in a self-description (${fact}).`,
        });
      }
    }
  });
  return rules;
}

export const MEDICAL_RULES: FingerprintRule[] = [
  ...makerRules(),
  {
    id: 'oui-vendor-generic',
    when: [
      { fact: 'oui.vendor', matches: '^(.+)$' },
      { fact: 'oui.vendor', matches: COMPONENT_VENDORS, absent: true },
      // Medical makers have their own, more confident rule above; a second spelling would only add noise.
      { fact: 'oui.vendor', matches: MEDICAL_MAKERS.map((m) => `(?:${m.registry})`).join('|'), absent: true },
    ],
    sets: { manufacturer: '{1|org}' },
    confidence: 0.2,
    why: 'The IEEE registry owner of the MAC prefix; often the device maker, sometimes only the NIC maker (network-chip companies are excluded).',
  },
  // ---- DNS-SD TXT keys ----------------------------------------------------------------------------------
  {
    id: 'mdns-txt-model',
    when: [{ fact: 'mdns.txt', matches: '^(?:model|md|product|usb_MDL)=\\(?([^)]+)\\)?$' }],
    sets: { model: '{1}' },
    confidence: 0.5,
    why: 'DNS-SD TXT model keys: "model" (Apple _device-info), "md" (HomeKit), "product"/"usb_MDL" (Bonjour Printing Specification 1.2 §9); shared capture 01 announces model=SIGMA-SPECTRUM.',
  },
  {
    id: 'mdns-txt-manufacturer',
    when: [{ fact: 'mdns.txt', matches: '^(?:usb_MFG|manufacturer|mfg)=(.+)$' }],
    sets: { manufacturer: '{1|org}' },
    confidence: 0.5,
    why: 'DNS-SD TXT "usb_MFG" (Bonjour Printing Specification 1.2 §9) and the common "manufacturer" key.',
  },
  {
    id: 'mdns-txt-firmware',
    when: [{ fact: 'mdns.txt', matches: '^(?:fw|fwver|fw_ver|firmware|fwVersion)=(.+)$' }],
    sets: { firmwareVersion: '{1}' },
    confidence: 0.4,
    why: 'A common DNS-SD TXT convention for firmware version (not standardised; shared capture 01 announces fw=8.01.01).',
  },
  {
    id: 'mdns-printer',
    when: [{ fact: 'mdns.service', matches: '^_(ipp|ipps|printer|pdl-datastream)\\._tcp' }],
    sets: { deviceClass: 'it' },
    confidence: 0.5,
    why: 'Printers announce _ipp/_printer/_pdl-datastream (Bonjour Printing Specification 1.2 §4).',
  },
  // ---- HL7 ----------------------------------------------------------------------------------------------
  {
    id: 'hl7-ihe-pcd-dec',
    when: [{ fact: 'hl7.messageProfile', matches: '^IHE_PCD_0?01\\b' }],
    sets: { deviceClass: 'patient-monitor' },
    confidence: 0.45,
    why: 'IHE PCD-01 (Device Enterprise Communication) ORU^R01 messages come from patient monitoring gateways (IHE PCD TF-2 §3.1).',
  },
  {
    id: 'hl7-adt-source',
    when: [
      { fact: 'hl7.messageType', matches: '^ADT\\^A(0[1-9]|1[0-3]|2[89]|3[14])' },
      { fact: 'hl7.sendingApplication', matches: '.' },
    ],
    sets: { deviceClass: 'it' },
    confidence: 0.35,
    why: 'ADT admit/transfer/update events originate in registration and EHR systems (HL7 v2.5 chapter 3).',
  },
  {
    id: 'hl7-listener',
    when: [{ fact: 'service', matches: '^tcp/\\d+/hl7$' }],
    sets: { deviceClass: 'it' },
    confidence: 0.3,
    why: 'Hosts listening for HL7 MLLP are mostly interface engines, EHRs and LIS; devices are usually clients.',
  },
];
