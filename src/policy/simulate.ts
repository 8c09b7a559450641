/**
 * @module Policy simulation: every flow against the policy's allow rules, first match decides, nothing
 * matched is blocked (default deny). Matches on zones, device classes, departments, hosts, port and transport only,
 * exactly what the firewall exports can enforce (the application protocol is for people). Pure.
 */
import { isFtpData } from '../discovery/host-observation.js';
import { flowLabel, type PolicyFlow } from './policy-flow.js';
import {
  addressMatches,
  type NetworkMap,
  type ResolvedEndpoint,
  sameDepartment,
} from './policy-inventory.js';
import type { Policy, PolicyEndpoint, PolicyRule } from './policy-model.js';

export interface FlowDecision {
  flow: PolicyFlow;
  decision: 'allowed' | 'blocked';
  /** The rule that allowed it; null when blocked by the default deny. */
  ruleId: string | null;
  reason: string;
  client: ResolvedEndpoint;
  server: ResolvedEndpoint;
}

export interface BlockedService {
  /** Client device id, or its address when no device has it. */
  client: string;
  clientDeviceId: string | null;
  /** Asset tag, hostname or address, for people. */
  clientLabel: string;
  /** The client device's department (null: none, or no device). */
  clientDepartment: string | null;
  server: string;
  serverDeviceId: string | null;
  serverLabel: string;
  serverDepartment: string | null;
  service: string;
  flows: number;
  connections: number;
}

export interface SimulationReport {
  flows: number;
  allowed: number;
  blocked: number;
  decisions: FlowDecision[];
  /** What would have been blocked, by client device and server service. */
  blockedByDevice: BlockedService[];
}

/** zone/class, and @department when the device has one: how simulation and alerts name a side. */
export const placeOf = (r: ResolvedEndpoint) =>
  `${r.zone}/${r.deviceClass}${r.department ? `@${r.department}` : ''}`;

export function endpointMatches(e: PolicyEndpoint, r: ResolvedEndpoint): boolean {
  if (e.zone !== r.zone) return false;
  if (e.deviceClass && e.deviceClass !== r.deviceClass) return false;
  if (e.department && !sameDepartment(e.department, r.department)) return false;
  if (e.hosts && !e.hosts.some((h) => addressMatches(r.ip, h))) return false;
  return true;
}

export function ruleMatches(
  rule: PolicyRule,
  flow: PolicyFlow,
  client: ResolvedEndpoint,
  server: ResolvedEndpoint,
) {
  return (
    rule.transport === flow.transport &&
    (rule.transport === 'icmp' || rule.port === flow.port) &&
    endpointMatches(rule.from, client) &&
    endpointMatches(rule.to, server)
  );
}

/** A rule for an FTP control connection: port 21, or a port the rule itself names as FTP. */
export const isFtpControlRule = (r: PolicyRule): boolean =>
  r.transport === 'tcp' && (r.port === 21 || r.protocol === 'ftp');

/**
 * The rule that allows the FTP session an FTP data connection belongs to: the control connection from
 * the data connection's client (passive mode) or from its server (active mode, where the FTP server
 * connects back). Firewalls relate the data connection to that session (the FTP conntrack helper,
 * which the nftables and iptables exports assign); no rule names its ephemeral port.
 */
function ftpSessionRule(
  policy: Policy,
  flow: PolicyFlow,
  client: ResolvedEndpoint,
  server: ResolvedEndpoint,
): PolicyRule | undefined {
  return policy.rules.find(
    (r) =>
      isFtpControlRule(r) &&
      (ruleMatches(r, { ...flow, port: r.port }, client, server) ||
        ruleMatches(r, { ...flow, port: r.port }, server, client)),
  );
}

export function decideFlow(policy: Policy, map: NetworkMap, flow: PolicyFlow): FlowDecision {
  const client = map.resolve(flow.client);
  const server = map.resolve(flow.server);
  const rule = policy.rules.find((r) => ruleMatches(r, flow, client, server));
  if (!rule && isFtpData(flow)) {
    const session = ftpSessionRule(policy, flow, client, server);
    if (session)
      return {
        flow,
        decision: 'allowed',
        ruleId: session.id,
        reason: `FTP data connection of the FTP session ${session.id} allows (related by the firewall's FTP helper): ${session.reason}`,
        client,
        server,
      };
  }
  return rule
    ? { flow, decision: 'allowed', ruleId: rule.id, reason: rule.reason, client, server }
    : {
        flow,
        decision: 'blocked',
        ruleId: null,
        reason: `no rule allows ${placeOf(client)} → ${placeOf(server)} ${flow.transport === 'icmp' ? 'icmp' : `${flow.port}/${flow.transport}`} (default deny)`,
        client,
        server,
      };
}

export function simulate(policy: Policy, map: NetworkMap, flows: readonly PolicyFlow[]): SimulationReport {
  const decisions = flows.map((f) => decideFlow(policy, map, f));
  const blocked = new Map<string, BlockedService>();
  for (const d of decisions) {
    if (d.decision !== 'blocked') continue;
    const service = d.flow.transport === 'icmp' ? 'icmp' : `${d.flow.port}/${d.flow.transport}`;
    const client = d.client.deviceId ?? d.client.ip;
    const server = d.server.deviceId ?? d.server.ip;
    const key = `${client}|${server}|${service}`;
    const b = blocked.get(key) ?? {
      client,
      clientDeviceId: d.client.deviceId,
      clientLabel: (d.client.deviceId && map.device(d.client.deviceId)?.label) || d.client.ip,
      clientDepartment: d.client.department,
      server,
      serverDeviceId: d.server.deviceId,
      serverLabel: (d.server.deviceId && map.device(d.server.deviceId)?.label) || d.server.ip,
      serverDepartment: d.server.department,
      service,
      flows: 0,
      connections: 0,
    };
    b.flows++;
    b.connections += d.flow.connections;
    blocked.set(key, b);
  }
  const n = decisions.filter((d) => d.decision === 'blocked').length;
  return {
    flows: decisions.length,
    allowed: decisions.length - n,
    blocked: n,
    decisions,
    blockedByDevice: [...blocked.values()].sort(
      (a, b) =>
        a.client.localeCompare(b.client) ||
        a.server.localeCompare(b.server) ||
        a.service.localeCompare(b.service),
    ),
  };
}

export { flowLabel };
