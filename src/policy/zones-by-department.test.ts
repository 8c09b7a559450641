/**
 * Department as a zone dimension (`zones: class | department | class+department`) on real traffic: the
 * SYNs of four shared captures (test/fixtures/policy/syn-flows.tsv, see PROVENANCE.md there) over the
 * simulated hospital LAN, with its devices split between Radiology and Cardiology and a few left without
 * a department. Then the service and API on SQLite and PostgreSQL with the legacy device capture and the
 * real CISA advisory ICSMA-19-113-01 (test/fixtures/policy), whose Telnet note is port guidance the
 * propose answer carries and the OpenAPI document describes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apiHarness } from '../../test/api-harness.js';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { importSource } from '../cli/commands/import.js';
import { captureFlows } from '../cli/commands/policy.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import type { VigilDatabase } from '../store/database.js';
import type { DbHandle } from '../store/transaction.js';
import { exportPolicy } from './export/index.js';
import type { PolicyFlow } from './policy-flow.js';
import { NetworkMap, type PolicyInventory } from './policy-inventory.js';
import { describeRule, type Policy, PolicySchema } from './policy-model.js';
import { proposeDraft, simulatePolicy } from './policy-service.js';
import { fixturePath, sghInventory, synFlows } from './policy-test-fixtures.js';
import { proposePolicy } from './propose.js';
import { simulate } from './simulate.js';

const DEPARTMENTS: Record<string, string> = {
  'PACS-1': 'Radiology',
  'CT-1': 'Radiology',
  'MR-1': 'Radiology',
  'WS-1': 'Radiology',
  'PACS-2': 'Cardiology',
  'ECG-1': 'Cardiology',
  'LEGACY-1': 'Cardiology',
};

/** The LAN of the captures with departments, plus an ultrasound in Radiology that never talked. */
function inventory(): PolicyInventory {
  const base = sghInventory();
  return {
    segments: base.segments,
    devices: [
      ...base.devices.map((d) => ({ ...d, department: DEPARTMENTS[d.label] ?? null })),
      {
        id: 'dev-US-1',
        label: 'US-1',
        deviceClass: 'imaging-us',
        department: 'Radiology',
        siteId: 'site-sgh',
        ips: ['10.20.0.24'],
      },
    ],
  };
}

const map = new NetworkMap(inventory());
const flows = synFlows();
const attempt = (client: string, server: string, port: number): PolicyFlow => ({
  ...flows[0]!,
  client,
  server,
  port,
});
const sides = (p: Policy) =>
  p.rules.map(
    (r) =>
      `${r.from.zone}/${r.from.deviceClass ?? '*'}@${r.from.department ?? '*'}${r.from.hosts ? `[${r.from.hosts}]` : ''} > ` +
      `${r.to.zone}/${r.to.deviceClass ?? '*'}@${r.to.department ?? '*'}${r.to.hosts ? `[${r.to.hosts}]` : ''} ${r.port}/${r.transport}`,
  );

describe('proposing zones by department on the shared captures', () => {
  const byClass = proposePolicy(map, flows);
  const byDept = proposePolicy(map, flows, { zones: 'department' });
  const both = proposePolicy(map, flows, { zones: 'class+department' });

  it('groups devices by department, records the zoning, and is a valid policy file', () => {
    expect(PolicySchema.parse(JSON.parse(JSON.stringify(byDept)))).toEqual(byDept);
    expect(byDept.zones).toBe('department');
    const lines = sides(byDept);
    // CT, MR and the workstation of Radiology reach Radiology's PACS: one rule; Cardiology's ECG another.
    expect(lines).toContain('clinical/*@Radiology > clinical/*@Radiology 104/tcp');
    expect(lines).toContain('clinical/*@Cardiology > clinical/*@Radiology 104/tcp');
    expect(lines).toContain('clinical/*@Radiology > clinical/*@Cardiology 4242/tcp');
    expect(
      byDept.rules.find((r) => r.from.department === 'Radiology' && r.port === 104)?.observed,
    ).toMatchObject({ connections: 4 });
    expect(describeRule(byDept.rules.find((r) => r.port === 4242)!)).toBe(
      'clinical@Radiology → clinical@Cardiology 4242/tcp',
    );
  });

  it('pins devices without a department to their addresses, never a whole zone', () => {
    // The web server (WEB-1) has no department: the Radiology workstation gets exactly its address.
    expect(sides(byDept)).toContain('clinical/*@Radiology > clinical/*@*[10.20.0.30] 443/tcp');
    // The HL7 engine and its clients have none either: both sides are pinned.
    expect(sides(byDept)).toContain(
      'integration/*@*[10.30.0.41,10.30.0.42] > integration/*@*[10.30.0.5] 2575/tcp',
    );
    for (const r of byDept.rules) {
      expect(r.from.department ?? r.from.hosts, r.id).toBeDefined();
      expect(r.to.department ?? r.to.hosts, r.id).toBeDefined();
    }
  });

  it('class+department names both; class zoning is what it always was', () => {
    expect(sides(both)).toContain('clinical/imaging-ct@Radiology > clinical/pacs@Radiology 104/tcp');
    expect(sides(both)).toContain('clinical/other-medical@Cardiology > clinical/pacs@Radiology 104/tcp');
    expect(byClass.zones).toBeUndefined();
    expect(JSON.stringify(proposePolicy(map, flows, { zones: 'class' }))).toBe(JSON.stringify(byClass));
    expect(byClass.rules.every((r) => r.from.department === undefined && r.to.department === undefined)).toBe(
      true,
    );
  });

  it('each zoning allows every flow it was proposed from, and differs on what it was not shown', () => {
    for (const p of [byClass, byDept, both]) expect(simulate(p, map, flows).blocked).toBe(0);
    // The CT sending to Cardiology's PACS: class zoning allows it (a CT talks to PACS), departments do not.
    const ctToCardiology = attempt('10.20.0.21', '10.20.0.11', 104);
    // The silent ultrasound of Radiology sending to Radiology's PACS: only department zoning allows it.
    const usToPacs = attempt('10.20.0.24', '10.20.0.10', 104);
    const decide = (p: Policy, f: PolicyFlow) => simulate(p, map, [f]).decisions[0]!.decision;
    expect([byClass, byDept, both].map((p) => decide(p, ctToCardiology))).toEqual([
      'allowed',
      'blocked',
      'blocked',
    ]);
    expect([byClass, byDept, both].map((p) => decide(p, usToPacs))).toEqual([
      'blocked',
      'allowed',
      'blocked',
    ]);
  });

  it('shows departments in simulation: reasons, blocked devices', () => {
    const r = simulate(byDept, map, [attempt('10.20.0.21', '10.20.0.11', 104)]);
    expect(r.decisions[0]!.reason).toBe(
      'no rule allows clinical/imaging-ct@Radiology → clinical/pacs@Cardiology 104/tcp (default deny)',
    );
    expect(r.blockedByDevice).toEqual([
      expect.objectContaining({
        clientLabel: 'CT-1',
        clientDepartment: 'Radiology',
        serverLabel: 'PACS-2',
        serverDepartment: 'Cardiology',
        service: '104/tcp',
      }),
    ]);
  });

  it('matches department names in any case, as a person may write them in a policy file', () => {
    const hand = PolicySchema.parse({
      rules: [
        {
          id: 'rad-pacs',
          from: { zone: 'clinical', department: 'RADIOLOGY' },
          to: { zone: 'clinical', department: 'radiology', deviceClass: 'pacs' },
          port: 104,
          transport: 'tcp',
          reason: 'imaging to the department PACS',
        },
      ],
    });
    expect(simulate(hand, map, [attempt('10.20.0.24', '10.20.0.10', 104)]).allowed).toBe(1);
    expect(simulate(hand, map, [attempt('10.20.0.23', '10.20.0.10', 104)]).blocked).toBe(1);
  });

  it('exports resolve a department side to its devices and name it in the comments', () => {
    const json = JSON.parse(exportPolicy('json', byDept, map)) as {
      rules: {
        id: string;
        from: { department?: string };
        addresses: { ipv4: { from: string[]; to: string[] } };
      }[];
    };
    const radId =
      byDept.rules[sides(byDept).indexOf('clinical/*@Radiology > clinical/*@Radiology 104/tcp')]!.id;
    const rad = json.rules.find((r) => r.id === radId)!;
    expect(rad.from.department).toBe('Radiology');
    expect(rad.addresses.ipv4.from).toEqual([
      '10.20.0.10',
      '10.20.0.21',
      '10.20.0.22',
      '10.20.0.24',
      '10.20.0.50',
    ]);
    const nft = exportPolicy('nftables', byDept, map);
    expect(nft).toContain('clinical@Radiology -> clinical@Cardiology 4242/tcp');
    expect(nft).toMatch(
      /ip saddr \{ 10\.20\.0\.10, 10\.20\.0\.21, 10\.20\.0\.22, 10\.20\.0\.24, 10\.20\.0\.50 \}/,
    );
  });
});

const LEGACY_CAPTURE = fixturePath('legacy-dicom-telnet-ftp.pcap');

/** The legacy device of the capture is the Fujifilm CR of ICSMA-19-113-01, in Radiology. */
const LEGACY_LAN = [
  {
    assetTag: 'CT-1',
    mac: '44:4b:5d:c7:21:01',
    ip: '10.20.0.21',
    deviceClass: 'imaging-ct',
    department: 'Radiology',
  },
  {
    assetTag: 'WS-1',
    mac: '02:00:5e:20:00:50',
    ip: '10.20.0.50',
    deviceClass: 'medical-workstation',
    department: 'Cardiology',
  },
  {
    assetTag: 'CR-1',
    mac: '00:a0:aa:5b:00:40',
    ip: '10.20.0.40',
    deviceClass: 'imaging-xr',
    department: 'Radiology',
    manufacturer: 'Fujifilm',
    model: 'FCR XC-2',
    modelNumber: 'CR-IR 357',
  },
];

/**
 * The LAN in the inventory (CMMS facts: class, department, model) and the advisory imported. `site`: with
 * the site and its `clinical` segment; without, where `vigil import` of the capture finds the devices.
 */
async function seedLegacyLan(h: DbHandle, opts: { site: boolean }): Promise<void> {
  if (opts.site) {
    await createSite(h, cliActor, { name: 'SGH' });
    await addSegment(h, cliActor, 'SGH', { name: 'clinical', cidrs: ['10.20.0.0/24'], zone: 'clinical' });
  }
  for (const { ip, mac, ...d } of LEGACY_LAN)
    await addDevice(h, cliActor, { ...d, ips: [ip], macs: [mac], ...(opts.site ? { site: 'SGH' } : {}) });
  await importAdvisoryPaths(h as VigilDatabase, cliActor, [fixturePath('icsma-19-113-01.json')]);
}

describe.each(DIALECTS)(
  'zones by department through the service and API (%s)',
  { timeout: 90_000 },
  (dialect) => {
    let vdb: VigilDatabase | undefined;
    afterEach(async () => {
      await vdb?.close();
      vdb = undefined;
    });

    it('proposes by department from a real capture, audits the zoning, and refuses an unknown one', async () => {
      vdb = await freshDatabase(dialect);
      await seedLegacyLan(vdb, { site: true });
      const captured = await captureFlows([LEGACY_CAPTURE]);
      const draft = await proposeDraft(
        vdb,
        cliActor,
        { site: 'SGH', zones: 'department' },
        { flows: captured },
      );
      expect(draft.policy.zones).toBe('department');
      expect(sides(draft.policy).sort()).toEqual([
        'clinical/*@Cardiology > clinical/*@Radiology 21/tcp',
        'clinical/*@Cardiology > clinical/*@Radiology 23/tcp',
        'clinical/*@Radiology > clinical/*@Radiology 104/tcp',
      ]);
      const audit = await vdb.db
        .selectFrom('audit_log')
        .select('summary')
        .where('action', '=', 'policy.propose')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(audit.summary)).toMatchObject({ zones: 'department' });

      const sim = await simulatePolicy(
        vdb,
        cliActor,
        { site: 'SGH', policy: draft.policy },
        { flows: captured },
      );
      expect(sim.blocked).toBe(0);
      expect(sim.decisions.find((d) => d.port === 23)).toMatchObject({
        clientDepartment: 'Cardiology',
        serverDepartment: 'Radiology',
      });

      await expect(
        proposeDraft(vdb, cliActor, { site: 'SGH', zones: 'ward' }, { flows: captured }),
      ).rejects.toMatchObject({
        code: 'invalid_input',
      });
    });

    it('POST /policy/propose takes zones and returns the port guidance the OpenAPI document describes', async () => {
      const api = await apiHarness(dialect);
      try {
        await seedLegacyLan(api.ctx.vdb, { site: false });
        await importSource(api.ctx.vdb, cliActor, LEGACY_CAPTURE, { progress: false });
        const res = await api.as('admin').post('/api/v1/policy/propose', { zones: 'class+department' });
        expect(res.status).toBe(201);
        const body = (await res.json()) as {
          policy: Policy;
          guidance: { ruleId: string; port: number; source: string; advisoryId: string; action: string }[];
        };
        expect(body.policy.zones).toBe('class+department');
        const telnet = body.policy.rules.find((r) => r.port === 23)!;
        expect(telnet.from).toMatchObject({ deviceClass: 'medical-workstation', department: 'Cardiology' });
        expect(telnet.to).toMatchObject({ deviceClass: 'imaging-xr', department: 'Radiology' });
        expect(body.guidance).toContainEqual(
          expect.objectContaining({
            ruleId: telnet.id,
            port: 23,
            source: 'advisory',
            advisoryId: 'ICSMA-19-113-01',
          }),
        );
        const bad = await api.as('admin').post('/api/v1/policy/propose', { site: 'SGH', zones: 'ward' });
        expect(bad.status).toBe(400);

        const doc = (await (await api.anonymous.get('/api/docs')).json()) as {
          paths: Record<string, Record<string, unknown>>;
          components: {
            schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
          };
        };
        const op = doc.paths['/api/v1/policy/propose']?.['post'] as {
          requestBody: {
            content: { 'application/json': { schema: { properties: Record<string, { enum?: string[] }> } } };
          };
          responses: {
            201: {
              content: {
                'application/json': {
                  schema: { allOf: { properties?: Record<string, unknown>; required?: string[] }[] };
                };
              };
            };
          };
        };
        expect(op.requestBody.content['application/json'].schema.properties['zones']?.enum).toEqual([
          'class',
          'department',
          'class+department',
        ]);
        // The stored policy, extended with what a proposal adds.
        const response = op.responses[201].content['application/json'].schema.allOf.find(
          (s) => s.properties,
        )!;
        expect(response.required).toContain('guidance');
        // What the proposal left out, counted: refused attempts, link-local, mDNS and LLMNR flows.
        expect(response.required).toEqual(expect.arrayContaining(['refused', 'linkLocal', 'mdns', 'llmnr']));
        expect(response.properties?.['linkLocal']).toMatchObject({ type: 'integer' });
        expect(response.properties?.['mdns']).toMatchObject({ type: 'integer' });
        expect(response.properties?.['llmnr']).toMatchObject({ type: 'integer' });
        expect(response.properties?.['guidance']).toEqual({
          type: 'array',
          items: { $ref: '#/components/schemas/AppliedGuidance' },
        });
        expect(Object.keys(doc.components.schemas['AppliedGuidance']?.properties ?? {}).sort()).toEqual([
          'action',
          'advisoryId',
          'path',
          'port',
          'review',
          'ruleId',
          'sentence',
          'source',
          'transport',
        ]);
      } finally {
        await api.close();
      }
    });
  },
);
