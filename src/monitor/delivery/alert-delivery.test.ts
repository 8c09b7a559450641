import { describe, expect, it } from 'vitest';
import { AlertDelivery } from './alert-delivery.js';
import { MemoryDeadLetterSink, makeAlert, ScriptedSender } from './delivery-test-fixtures.js';
import { type Destination, parseDestination } from './destination.js';

const SECRET = 'a-webhook-secret-of-at-least-32-characters!';
const SIEM = parseDestination({ kind: 'syslog', transport: 'tls', host: 'siem.example', port: 6514 });
const SOAR = parseDestination({ kind: 'webhook', url: 'https://soar.example/hook', secret: SECRET });

function setup(
  destinations: Destination[],
  scripts: Record<string, ConstructorParameters<typeof ScriptedSender>[0]>,
) {
  const senders = new Map<string, ScriptedSender>();
  const sink = new MemoryDeadLetterSink();
  const sut = new AlertDelivery(destinations, sink, {
    initialDelayMs: 1,
    maxAttempts: 2,
    createSender: (d) => {
      const s = new ScriptedSender(scripts[d.kind] ?? []);
      senders.set(d.kind, s);
      return s;
    },
  });
  return { sut, sink, senders };
}

describe('AlertDelivery', () => {
  it('fans each alert out to every destination, named by address', async () => {
    const { sut, senders } = setup([SIEM, SOAR], {});
    const alert = makeAlert();
    sut.deliver(alert);
    await sut.drain();
    expect(sut.destinations).toEqual(['syslog+tls://siem.example:6514', 'webhook https://soar.example/hook']);
    expect(senders.get('syslog')!.delivered).toEqual([alert]);
    expect(senders.get('webhook')!.delivered).toEqual([alert]);
    expect(sut.stats().map((s) => [s.destination, s.sent])).toEqual([
      ['syslog+tls://siem.example:6514', 1],
      ['webhook https://soar.example/hook', 1],
    ]);
  });

  it('a failing destination dead-letters without holding up the others; retry() re-sends to it alone', async () => {
    const { sut, sink, senders } = setup([SIEM, SOAR], { webhook: ['reject'] });
    sut.deliver(makeAlert());
    await sut.drain();
    expect(sink.letters.map((l) => [l.destination, l.reason])).toEqual([
      ['webhook https://soar.example/hook', 'rejected'],
    ]);
    expect(await sut.retry(sink.letters[0]!)).toEqual({ ok: true });
    expect(senders.get('webhook')!.delivered).toHaveLength(1);
    expect(senders.get('syslog')!.attempts).toHaveLength(1);
    sut.requeue(sink.letters[0]!);
    await sut.drain();
    expect(senders.get('webhook')!.delivered).toHaveLength(2);
    await sut.close();
    expect([...senders.values()].every((s) => s.closed)).toBe(true);
  });

  it('refuses two destinations with the same name, and a dead letter for a destination no longer configured', async () => {
    expect(() => setup([SIEM, SIEM], {})).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        issues: [{ reason: expect.stringMatching(/two destinations/) }],
      }),
    );
    const { sut, sink } = setup([SOAR], { webhook: ['reject'] });
    sut.deliver(makeAlert());
    await sut.drain();
    const other = setup([SIEM], {}).sut;
    expect(() => other.retry(sink.letters[0]!)).toThrow(/no longer configured/);
  });
});
