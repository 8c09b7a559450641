/**
 * @module Rule `dicom-unknown-ae`: a DICOM association of a device with an active baseline whose AE title
 * pair (calling → called, from the A-ASSOCIATE-RQ) holds a title its baseline (own or model's) does not
 * list, or denies. Each association is judged on its own pair, for both ends: a known workstation calling
 * the known PACS host under a called AE title the PACS never had is news, whether the PACS accepted or
 * rejected it, and a peer's title used with another device in the same run is not. Sources without
 * per-association records (none today besides captures carry AE titles) fall back to the peer host's
 * titles in the run.
 *
 * @see DICOM PS3.8 §9.3.2 A-ASSOCIATE-RQ (Called/Calling AE Title)
 */
import type {
  DicomAssociationObservation,
  FlowSummary,
  HostObservation,
} from '../../discovery/host-observation.js';
import { pluralWord } from '../../format-count.js';
import type { AlertCandidate, AlertEvidence } from '../alert-candidate.js';
import type { DetectionRule, SourceRun } from './detection-rule.js';
import {
  describeEnd,
  deviceAt,
  type FlowRuleContext,
  flowEvidence,
  ownTraffic,
  verdict,
} from './flow-rule-context.js';

export const DICOM_UNKNOWN_AE_RULE = 'dicom-unknown-ae';

function byAssociation(
  ctx: FlowRuleContext,
  associations: readonly DicomAssociationObservation[],
  at: string,
): AlertCandidate[] {
  const out = new Map<string, AlertCandidate>();
  for (const a of associations) {
    const pair = `${a.callingAeTitle}→${a.calledAeTitle}`;
    const ends = [
      { selfIp: a.client, peerIp: a.server },
      { selfIp: a.server, peerIp: a.client },
    ];
    for (const { selfIp, peerIp } of ends) {
      const self = deviceAt(ctx, selfIp);
      if (!self) continue;
      // An association with itself teaches no baseline a title: only a title denied by hand is news,
      // once (judged as the requestor), not again as its own acceptor.
      const own = ownTraffic(self, deviceAt(ctx, peerIp));
      if (own && selfIp === a.server) continue;
      const judged = [a.callingAeTitle, a.calledAeTitle].map((ae) => ({
        ae,
        v: verdict(ctx, self, 'dicom-ae', ae),
      }));
      const news = judged.filter((j) => (j.v === 'unknown' && !own) || j.v === 'denied');
      if (!news.length) continue;
      const subject = `${peerIp}:${pair}`;
      const key = `${self.id}|${subject}`;
      const prev = out.get(key);
      const summary = `A-ASSOCIATE-RQ ${pair} (${a.outcome}); not in the baseline: ${news.map((n) => n.ae).join(', ')}`;
      const evidence: AlertEvidence = {
        time: a.evidence.time ?? at,
        file: a.evidence.file,
        ...(a.evidence.connection ? { connection: a.evidence.connection } : {}),
        ...(a.evidence.packet !== undefined ? { packet: a.evidence.packet } : {}),
        summary,
      };
      if (prev) {
        if (prev.evidence.length < 5) prev.evidence.push(evidence);
        continue;
      }
      out.set(key, {
        rule: DICOM_UNKNOWN_AE_RULE,
        severity: news.some((n) => n.v === 'denied') ? 'high' : 'medium',
        title: `DICOM association ${pair} between ${describeEnd(self, selfIp)} and ${peerIp} uses ${pluralWord(news.length, 'AE title')} ${news.map((n) => `"${n.ae}"`).join(' and ')} outside its baseline`,
        deviceId: self.id,
        siteId: self.siteId,
        subject,
        evidence: [evidence],
        details: {
          callingAeTitle: a.callingAeTitle,
          calledAeTitle: a.calledAeTitle,
          unknownAeTitles: news.map((n) => n.ae),
          role: selfIp === a.client ? 'requestor' : 'acceptor',
          outcome: a.outcome,
          peer: peerIp,
          port: a.port,
          verdict: news.some((n) => n.v === 'denied') ? 'denied' : 'unknown',
        },
      });
    }
  }
  return [...out.values()];
}

/** Sources without association records: the titles the peer host used anywhere in the run. */
function byPeerHost(ctx: FlowRuleContext, hosts: readonly HostObservation[], flows: readonly FlowSummary[]) {
  const hostByIp = new Map<string, HostObservation>();
  for (const h of hosts) for (const ip of h.ips) hostByIp.set(ip, h);
  const out = new Map<string, AlertCandidate>();
  for (const f of flows) {
    if (f.protocol !== 'dicom') continue;
    const ends = [
      { selfIp: f.client, peerIp: f.server },
      { selfIp: f.server, peerIp: f.client },
    ];
    for (const { selfIp, peerIp } of ends) {
      const self = deviceAt(ctx, selfIp);
      if (!self) continue;
      const own = ownTraffic(self, deviceAt(ctx, peerIp));
      for (const ae of hostByIp.get(peerIp)?.dicom?.aeTitles ?? []) {
        const v = verdict(ctx, self, 'dicom-ae', ae);
        if ((v !== 'unknown' || own) && v !== 'denied') continue;
        const subject = `${peerIp}:${ae}`;
        const key = `${self.id}|${subject}`;
        if (out.has(key)) continue;
        out.set(key, {
          rule: DICOM_UNKNOWN_AE_RULE,
          severity: 'medium',
          title: `DICOM association of ${describeEnd(self, selfIp)} with AE title "${ae}" (${peerIp}) outside its baseline`,
          deviceId: self.id,
          siteId: self.siteId,
          subject,
          evidence: [flowEvidence(f, `DICOM peer used AE title "${ae}"`)],
          details: { aeTitle: ae, peer: peerIp, port: f.port, verdict: v },
        });
      }
    }
  }
  return [...out.values()];
}

export function dicomUnknownAeTitles(
  ctx: FlowRuleContext,
  run: Pick<SourceRun, 'result'> & { at?: string },
): AlertCandidate[] {
  const associations = run.result.dicomAssociations;
  // A packet always has a time; the run's time stands in for a record that lacks one.
  if (associations) return byAssociation(ctx, associations, run.at ?? new Date(0).toISOString());
  return byPeerHost(ctx, run.result.hosts, run.result.flows ?? []);
}

export function dicomUnknownAeRule(ctx: FlowRuleContext): DetectionRule {
  return {
    id: DICOM_UNKNOWN_AE_RULE,
    description: 'A DICOM association whose calling/called AE title pair is not in the active baseline',
    evaluate: (run) => dicomUnknownAeTitles(ctx, run),
  };
}
