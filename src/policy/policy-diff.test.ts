/**
 * The diff of a proposal against the approved policy when several rules share sides and service and differ
 * only in hosts: the Telnet of the legacy host (10.20.0.40) from the workstation (10.20.0.50, capture
 * 07-telnet-ftp-ssh-mqtt) and from the nmap scanner (10.20.0.99, capture 08-nmap-scan), both of unknown
 * class and so pinned to their own addresses, as the proposal from those captures writes them.
 */
import { describe, expect, it } from 'vitest';
import { diffPolicies } from './policy-diff.js';
import { type Policy, PolicySchema } from './policy-model.js';

const telnetFrom = (id: string, clients: string[]) => ({
  id,
  action: 'allow',
  from: { zone: 'clinical', deviceClass: 'unknown', hosts: clients },
  to: { zone: 'clinical', deviceClass: 'unknown', hosts: ['10.20.0.40'] },
  port: 23,
  transport: 'tcp',
  protocol: 'telnet',
  reason: 'observed',
});
const policy = (...rules: ReturnType<typeof telnetFrom>[]): Policy =>
  PolicySchema.parse({ name: 'p', rules });
const ws = telnetFrom('r1', ['10.20.0.50']);
const scanner = telnetFrom('r2', ['10.20.0.99']);

describe('diffPolicies', () => {
  it('counts every new rule, also rules that share sides and service', () => {
    expect(diffPolicies(null, policy(ws, scanner)).added.map((a) => a.id)).toEqual(['r1', 'r2']);
  });

  it('pairs rules by hosts: one more pinned client is one added rule, the other unchanged', () => {
    const sut = diffPolicies(policy(ws), policy(ws, scanner));
    expect(sut).toMatchObject({ added: [{ id: 'r2' }], removed: [], changed: [], unchanged: 1 });
    const back = diffPolicies(policy(ws, scanner), policy(ws));
    expect(back).toMatchObject({ added: [], removed: [{ id: 'r2' }], changed: [], unchanged: 1 });
  });

  it('still reports a rule whose hosts changed as changed', () => {
    const both = telnetFrom('r1', ['10.20.0.50', '10.20.0.99']);
    const sut = diffPolicies(policy(ws), policy(both));
    expect(sut).toMatchObject({ added: [], removed: [], unchanged: 0 });
    expect(sut.changed).toEqual([{ from: 'r1', to: 'r1', rule: expect.any(String), fields: ['from.hosts'] }]);
  });
});
