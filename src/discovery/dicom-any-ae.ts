/**
 * @module A DICOM SCP that accepts an association whatever called AE title it is given: anyone on the
 * network who can reach its port may store images on it or query it, without knowing its AE title. Seen
 * two ways, one finding, `insecure-protocol` with subject `dicom-any-ae-title:PORT` on the server:
 * - nmap's dicom-ping verdict `Any AET is accepted (Insecure)` (it asks with the called title `ANY-SCP`);
 * - in a capture, an A-ASSOCIATE-AC answering an A-ASSOCIATE-RQ whose called AE title is a generic probe
 *   title (dcmtk's and nmap's defaults), which an SCP that checks the called title rejects.
 * - in a capture, one SCP (address and port) accepting associations addressed to two or more different
 *   called AE titles: it may accept any (dicom-called-titles.ts), a weaker sign, raised one level lower.
 * The probe titles are no device's own: sources record them as hint `dicom.probeAeTitle`, never as an AE
 * title of the host.
 * @see DICOM PS3.8 §9.3.2 A-ASSOCIATE-RQ (Called-AE-title), §9.3.3 A-ASSOCIATE-AC, §9.3.4 A-ASSOCIATE-RJ
 *   (reason 7: called-AE-title not recognized); nmap dicom-ping.nse; dcmtk echoscu/storescu `--call`
 */
import type { Evidence, FindingObservation } from './host-observation.js';

/**
 * Default AE titles of scanning and test tools: dcmtk echoscu's calling title and the called title dcmtk's
 * SCUs (echoscu, storescu, findscu …) use unless told otherwise; nmap's dicom-ping sends the same pair.
 */
export const PROBE_AE_TITLES: ReadonlySet<string> = new Set(['ANY-SCP', 'ECHOSCU']);

/** AE titles are space-padded in the PDU (PS3.8 §9.3.2) and compared as sent, case included. */
export const isProbeAeTitle = (aeTitle: string): boolean => PROBE_AE_TITLES.has(aeTitle.trim());

/** nmap dicom-ping's `config` verdict when the called AE title is not checked. */
export const isAnyAeTitlePing = (config: string | null | undefined): boolean =>
  /Any AET is accepted/i.test(config ?? '');

export type AnyAeTitleDetection = 'association' | 'dicom-ping' | 'several-called-titles';

/**
 * Several accepted called titles are a weaker sign than an accepted probe title or nmap's verdict: a PACS
 * may legitimately answer to a storage and a query title. Such a finding is one severity level lower.
 */
export const isInferredAnyAeTitle = (details: Record<string, unknown>): boolean =>
  details['detection'] === 'several-called-titles';

/** The finding, without its host: the caller names the server as its source does (IP, MAC). */
export function dicomAnyAeTitleFinding(a: {
  port: number;
  evidence: Evidence;
  /**
   * `association`: an A-ASSOCIATE-AC to a probe title seen in a capture; `dicom-ping`: nmap's verdict;
   * `several-called-titles`: ACs to different called titles in a capture.
   */
  detection: AnyAeTitleDetection;
  /** The probe title the SCP accepted, when the source saw it. */
  calledAeTitle?: string;
  /** The different called titles the SCP accepted (`several-called-titles`), first accepted first. */
  calledAeTitles?: readonly string[];
}): Omit<FindingObservation, 'host'> {
  return {
    type: 'insecure-protocol',
    subject: `dicom-any-ae-title:${a.port}`,
    evidence: a.evidence,
    details: {
      protocol: 'dicom',
      port: a.port,
      detection: a.detection,
      ...(a.calledAeTitle !== undefined ? { calledAeTitle: a.calledAeTitle.trim() } : {}),
      ...(a.calledAeTitles !== undefined ? { calledAeTitles: [...a.calledAeTitles] } : {}),
    },
  };
}
