/**
 * A source run through the real store on every dialect: real captures (test/fixtures/captures, see its
 * PROVENANCE.md: copied unchanged from shared/data/captures, fake patient data) are analysed, applied to
 * the inventory and processed; alerts appear once, repeats count, people's decisions on findings hold,
 * a throwing rule does not cost the others their alerts, and `source-run` is published.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importSource } from '../cli/commands/import.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import { listFindings, setFindingState } from '../findings/findings-service.js';
import type { VigilDatabase } from '../store/database.js';
import { changeAlertState, getAlert, listAlerts } from './alerts-service.js';
import { InProcessEventBus, type VigilEvents } from './event-bus.js';
import { processSourceRun } from './process-source-run.js';
import { DETECTION_RULES } from './rules/index.js';

const CAPTURES = join(import.meta.dirname, '../../test/fixtures/captures');

describe.each(DIALECTS)('processSourceRun on %s', (dialect) => {
  let vdb: VigilDatabase;
  const bus = new InProcessEventBus();
  const runs: VigilEvents['source-run'][] = [];
  bus.subscribe('source-run', (e) => void runs.push(e));

  async function run(name: string, opts: Parameters<typeof processSourceRun>[2] = {}) {
    const file = name;
    const result = await analyzeCapture(join(CAPTURES, name), { file });
    const report = await applySourceResult(vdb, cliActor, result, { kind: 'capture', file });
    return processSourceRun(vdb, { report, result, kind: 'capture', file }, { bus, ...opts });
  }

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());

  it('raises cleartext-phi for HL7 in cleartext once, and counts a second import on the same alerts', async () => {
    const first = await run('04-hl7-mllp.pcap');
    expect(first.ruleErrors).toEqual([]);
    expect(first.created).toBeGreaterThan(0);
    expect(first.suppressed).toBe(0);
    const alerts = await listAlerts(vdb, cliActor, { rule: 'cleartext-phi' });
    expect(alerts.total).toBe(first.created);
    const findings = await listFindings(vdb, cliActor, { type: 'cleartext-phi' });
    for (const a of alerts.items) {
      expect(a).toMatchObject({ state: 'new', count: 1, subject: 'hl7:2575', severity: 'high' });
      expect(a.deviceId).not.toBeNull();
      const f = findings.find((x) => x.id === a.details['findingId']);
      expect(f?.deviceId).toBe(a.deviceId);
      expect(a.evidence[0]!.file).toBe('04-hl7-mllp.pcap');
    }

    const second = await run('04-hl7-mllp.pcap');
    expect(second).toMatchObject({ created: 0, updated: first.created });
    const again = await listAlerts(vdb, cliActor, { rule: 'cleartext-phi' });
    expect(again.total).toBe(alerts.total);
    expect(again.items.every((a) => a.count === 2)).toBe(true);
    await bus.idle();
    expect(runs.map((r) => r.file)).toEqual(['04-hl7-mllp.pcap', '04-hl7-mllp.pcap']);
    expect(runs[0]!.importId).not.toBe(runs[1]!.importId);
  });

  it('raises nothing more for an acknowledged finding; a resolved alert re-opens when the finding is seen', async () => {
    const telnet = await run('07-telnet-ftp-ssh-mqtt.pcap');
    const byRule = (await listAlerts(vdb, cliActor, {})).items.filter((a) =>
      a.evidence[0]?.file?.startsWith('07-'),
    );
    // The analyzer may report more cleartext protocols in this capture (MQTT); these four are certain.
    expect(byRule.map((a) => `${a.rule} ${a.subject}`)).toEqual(
      expect.arrayContaining([
        'cleartext-credentials ftp:21',
        'cleartext-credentials telnet:23',
        'insecure-protocol ftp:21',
        'insecure-protocol telnet:23',
      ]),
    );
    expect(telnet.created).toBe(byRule.length);

    const telnetFinding = (await listFindings(vdb, cliActor, { type: 'insecure-protocol' })).find(
      (f) => f.subject === 'telnet:23',
    )!;
    await setFindingState(vdb, cliActor, telnetFinding.id, 'acknowledged');
    const ftpCreds = byRule.find((a) => a.rule === 'cleartext-credentials' && a.subject === 'ftp:21')!;
    await changeAlertState(
      vdb,
      cliActor,
      ftpCreds.id,
      { state: 'resolved', reason: 'FTP switched off' },
      { bus },
    );

    const again = await run('07-telnet-ftp-ssh-mqtt.pcap');
    // Everything again but the acknowledged Telnet finding.
    expect(again).toMatchObject({ created: 0, updated: byRule.length - 1 });
    const telnetAlert = byRule.find((a) => a.rule === 'insecure-protocol' && a.subject === 'telnet:23')!;
    expect((await getAlert(vdb, cliActor, telnetAlert.id)).count).toBe(1);
    const reopened = await getAlert(vdb, cliActor, ftpCreds.id);
    expect(reopened).toMatchObject({ state: 'new', count: 2 });
    expect(reopened.events.map((e) => e.action)).toContain('reopened');
  });

  it('reports a rule that throws and still raises what the other rules found', async () => {
    const broken = {
      id: 'broken-rule',
      description: 'always fails',
      evaluate: () => {
        throw new Error('bug in a rule');
      },
    };
    const r = await run('06-http-tls.pcapng', { rules: [broken, ...DETECTION_RULES] });
    expect(r.ruleErrors).toEqual([{ rule: 'broken-rule', error: 'bug in a rule' }]);
    const weak = await listAlerts(vdb, cliActor, { rule: 'weak-tls' });
    expect(weak.items.map((a) => a.subject)).toEqual(['tls:4433:TLSv1.0']);
  });

  it('runs inside `vigil import` (importSource) and reports what it raised', async () => {
    const report = await importSource(vdb, cliActor, join(CAPTURES, 'zeek-rawip4-basic-auth.pcap'), {
      progress: false,
    });
    expect(report.alerts).toMatchObject({ created: 1, updated: 0, suppressed: 0, ruleErrors: [] });
    const [alert] = (
      await listAlerts(vdb, cliActor, { rule: 'cleartext-credentials', state: 'new' })
    ).items.filter((a) => a.subject === 'http-basic:8000');
    expect(alert?.evidence[0]?.file).toBe('zeek-rawip4-basic-auth.pcap');
  });
});
