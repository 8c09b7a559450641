/**
 * Rule `dicom-unknown-ae` per association, on real captures (test/fixtures/captures/dicom-ct-store.pcap,
 * test/fixtures/monitor/dicom-mr-store-head.pcap and dicom-wrong-ae.pcap; see the PROVENANCE.md files):
 * the analyzer records each A-ASSOCIATE-RQ's calling → called pair and outcome, and the rule judges each
 * pair for both ends. The three captures together are one run in which the PACS host used two called
 * titles (PACS_MAIN with the CT and the MR, NOT_A_PACS with a workstation): pooling titles per host would
 * blame the CT and the MR for NOT_A_PACS; per association only the PACS's association with the
 * workstation is news. A known CT calling the known PACS host under a new called title is news too.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../discovery/capture-analyzer.js';
import type { DicomAssociationObservation, SourceResult } from '../../discovery/host-observation.js';
import type { DeviceFacts } from '../baseline/peer-role.js';
import { dicomUnknownAeTitles } from './dicom-unknown-ae.js';
import type { BaselineFacts, FlowRuleContext } from './flow-rule-context.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures');
const CT = '10.20.0.21';
const MR = '10.20.0.22';
const PACS = '10.20.0.10';
const WS = '10.20.0.50';

let run: SourceResult;

const device = (id: string, deviceClass: string): DeviceFacts => ({
  id,
  siteId: null,
  modelId: null,
  model: null,
  manufacturer: null,
  deviceClass,
  assetTag: null,
});

const baseline = (titles: string[], deny: string[] = []): BaselineFacts => ({
  id: `b-${titles[0]}`,
  scope: 'device',
  state: 'active',
  allow: new Set(titles.map((t) => `dicom-ae|${t}`)),
  deny: new Set(deny.map((t) => `dicom-ae|${t}`)),
  volumeHigh: null,
  lastSeen: null,
});

/** What each device's baseline learned from its usual traffic; the workstation has none. */
function context(pacsDeny: string[] = []): FlowRuleContext {
  return {
    devices: new Map([
      ['ct', device('ct', 'imaging-ct')],
      ['mr', device('mr', 'imaging-mr')],
      ['pacs', device('pacs', 'pacs')],
      ['ws', device('ws', 'medical-workstation')],
    ]),
    deviceByIp: new Map([
      [CT, 'ct'],
      [MR, 'mr'],
      [PACS, 'pacs'],
      [WS, 'ws'],
    ]),
    deviceBaselines: new Map([
      ['ct', baseline(['CT_RHAPSODE01', 'PACS_MAIN'])],
      ['mr', baseline(['MR_PRISMA01', 'PACS_MAIN'])],
      ['pacs', baseline(['PACS_MAIN', 'CT_RHAPSODE01', 'MR_PRISMA01'], pacsDeny)],
    ]),
    modelBaselines: new Map(),
    declaredServices: new Map(),
  };
}

beforeAll(async () => {
  const parts = await Promise.all(
    ['captures/dicom-ct-store.pcap', 'monitor/dicom-mr-store-head.pcap', 'monitor/dicom-wrong-ae.pcap'].map(
      (f) => analyzeCapture(join(fixtures, f), { file: f.split('/')[1]! }),
    ),
  );
  // The hosts as one run sees them: the PACS's titles pooled from all three captures.
  const hosts = new Map<string, SourceResult['hosts'][number]>();
  for (const h of parts.flatMap((p) => p.hosts)) {
    const prev = hosts.get(h.ips[0]!);
    if (prev?.dicom && h.dicom)
      prev.dicom.aeTitles = [...new Set([...prev.dicom.aeTitles, ...h.dicom.aeTitles])];
    else hosts.set(h.ips[0]!, h);
  }
  run = {
    hosts: [...hosts.values()],
    findings: [],
    flows: parts.flatMap((p) => p.flows ?? []),
    dicomAssociations: parts.flatMap((p) => p.dicomAssociations ?? []),
  };
});

describe('dicom-unknown-ae per association', () => {
  it('the analyzer records each association’s pair, outcome and packet', () => {
    expect(
      run.dicomAssociations!.map((a) => [a.client, a.server, a.callingAeTitle, a.calledAeTitle, a.outcome]),
    ).toEqual([
      [CT, PACS, 'CT_RHAPSODE01', 'PACS_MAIN', 'accepted'],
      [MR, PACS, 'MR_PRISMA01', 'PACS_MAIN', 'accepted'],
      [WS, PACS, 'WRONG_AE', 'NOT_A_PACS', 'accepted'],
    ]);
    expect(run.dicomAssociations![2]!.evidence).toMatchObject({
      file: 'dicom-wrong-ae.pcap',
      packet: 4,
      connection: expect.stringMatching(/^10\.20\.0\.50:\d+ → 10\.20\.0\.10:104\/tcp$/),
    });
  });

  it('judges each pair: only the PACS’s association with the workstation is news', () => {
    const alerts = dicomUnknownAeTitles(context(), { result: run });
    expect(alerts).toEqual([
      expect.objectContaining({
        rule: 'dicom-unknown-ae',
        severity: 'medium',
        deviceId: 'pacs',
        subject: `${WS}:WRONG_AE→NOT_A_PACS`,
        details: expect.objectContaining({
          callingAeTitle: 'WRONG_AE',
          calledAeTitle: 'NOT_A_PACS',
          unknownAeTitles: ['WRONG_AE', 'NOT_A_PACS'],
          role: 'acceptor',
          outcome: 'accepted',
        }),
      }),
    ]);
    expect(alerts[0]!.evidence[0]).toMatchObject({ file: 'dicom-wrong-ae.pcap', packet: 4 });
    // Pooling titles per host (what a source without association records allows) blames the CT and the
    // MR for the title the PACS used with someone else.
    const { dicomAssociations: _, ...pooled } = run;
    const byHost = dicomUnknownAeTitles(context(), { result: pooled });
    expect(byHost.map((a) => `${a.deviceId} ${a.subject}`).sort()).toEqual([
      `ct ${PACS}:NOT_A_PACS`,
      `mr ${PACS}:NOT_A_PACS`,
      `pacs ${WS}:WRONG_AE`,
    ]);
  });

  it('a known CT calling the known PACS host under a new called AE title is news for both', () => {
    const ct = run.dicomAssociations![0]!;
    const renamed: DicomAssociationObservation = {
      ...ct,
      calledAeTitle: 'PACS_ARCHIVE',
      outcome: 'rejected',
    };
    const alerts = dicomUnknownAeTitles(context(), { result: { ...run, dicomAssociations: [renamed] } });
    expect(
      alerts.map((a) => [a.deviceId, a.subject, a.details?.['role'], a.details?.['unknownAeTitles']]),
    ).toEqual([
      ['ct', `${PACS}:CT_RHAPSODE01→PACS_ARCHIVE`, 'requestor', ['PACS_ARCHIVE']],
      ['pacs', `${CT}:CT_RHAPSODE01→PACS_ARCHIVE`, 'acceptor', ['PACS_ARCHIVE']],
    ]);
    expect(alerts[0]!.evidence[0]!.summary).toBe(
      'A-ASSOCIATE-RQ CT_RHAPSODE01→PACS_ARCHIVE (rejected); not in the baseline: PACS_ARCHIVE',
    );
  });

  it('a title denied in the baseline is high, and repeats fold into one alert', () => {
    const ct = run.dicomAssociations![0]!;
    const alerts = dicomUnknownAeTitles(context(['CT_RHAPSODE01']), {
      result: { ...run, dicomAssociations: [ct, { ...ct, evidence: { ...ct.evidence, packet: 99 } }] },
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ deviceId: 'pacs', severity: 'high', details: { verdict: 'denied' } });
    expect(alerts[0]!.evidence.map((e) => e.packet)).toEqual([15, 99]);
  });
});

describe('dicom-unknown-ae on a device’s own association', () => {
  /** The "workstation" address was the PACS's own other interface (merged into the PACS record). */
  const ownWs = (pacsDeny: string[] = []): FlowRuleContext => {
    const ctx = context(pacsDeny);
    return { ...ctx, deviceByIp: new Map([...ctx.deviceByIp, [WS, 'pacs']]) };
  };

  it('titles it used with itself are no news: learning never sees them', () => {
    expect(dicomUnknownAeTitles(ownWs(), { result: run })).toEqual([]);
    const { dicomAssociations: _, ...pooled } = run;
    // Pooled per host, the CT and the MR still see the PACS host's NOT_A_PACS; the PACS nothing of its own.
    expect(
      dicomUnknownAeTitles(ownWs(), { result: pooled }).map((a) => `${a.deviceId} ${a.subject}`),
    ).toEqual([`ct ${PACS}:NOT_A_PACS`, `mr ${PACS}:NOT_A_PACS`]);
  });

  it('a title denied by hand is raised even on its own association, once', () => {
    const alerts = dicomUnknownAeTitles(ownWs(['NOT_A_PACS']), { result: run });
    expect(
      alerts.map((a) => [
        a.deviceId,
        a.subject,
        a.severity,
        a.details?.['role'],
        a.details?.['unknownAeTitles'],
      ]),
    ).toEqual([['pacs', `${PACS}:WRONG_AE→NOT_A_PACS`, 'high', 'requestor', ['NOT_A_PACS']]]);
  });
});
