import { describe, expect, it } from 'vitest';
import {
  feedAll,
  fixtureText,
  fromHex,
  fuzzStream,
  leaksNone,
  loadFollow,
  type Segment,
} from './network-test-fixtures.js';
import { type TelnetEvent, TelnetStreamDissector } from './telnet.js';

const SESSION = loadFollow('telnet/sgh-telnet.follow.txt');
const run = (segments: Segment[]) => {
  const sut = new TelnetStreamDissector();
  return [...feedAll(sut, segments), ...sut.end()];
};

/** Zeek's telnet-unclosed-suboption trace: the first segments (IAC SB with no IAC SE, then 17 MB of 'B'). */
const UNCLOSED: Segment[] = fixtureText('telnet/zeek-telnet-unclosed-suboption.head.tsv')
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const [, port, hex] = l.split('\t');
    return { direction: port === '23' ? 'server' : 'client', bytes: fromHex(hex ?? '') };
  });

describe('TelnetStreamDissector on the shared capture (telnet → inetutils telnetd)', () => {
  const ev = run(SESSION);

  it('sees the login dialogue: prompt, user name, password prompt, credentials sent, failure', () => {
    expect(ev.filter((e) => e.type !== 'terminal-type')).toEqual<TelnetEvent[]>([
      // telnetd's first option offer (frame 6: IAC WILL AUTHENTICATION), reported once
      { type: 'negotiation', command: 'WILL', option: 37 },
      { type: 'login-prompt', prompt: 'vm login:' },
      { type: 'password-prompt', prompt: 'Password:' },
      { type: 'credentials', username: 'biomed', credentialsSent: true },
      { type: 'login-failed', text: 'Login incorrect' },
      { type: 'login-prompt', prompt: 'vm login:' },
    ]);
  });

  it('reads the terminal type from the TTYPE subnegotiation', () => {
    expect(ev).toContainEqual({ type: 'terminal-type', value: 'XTERM' });
  });

  it('never keeps the password', () => {
    expect(leaksNone(ev, ['Spacelabs123', 'Spacelabs'])).toBe(true);
  });
});

describe('TelnetStreamDissector on crafted sessions', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('character-at-a-time typing with backspace, a banner with ANSI colours before the prompt', () => {
    const sut = new TelnetStreamDissector();
    const events: TelnetEvent[] = [];
    events.push(...sut.feed('server', enc('\x1b[1;32mInfusion Gateway IG-4 fw 2.3\x1b[0m\r\n\r\nlogin: ')));
    for (const ch of 'adminx\x7f\r\0') {
      events.push(...sut.feed('client', enc(ch)));
      events.push(...sut.feed('server', enc(ch === '\r' ? '\r\n' : ch)));
    }
    events.push(...sut.feed('server', enc('Password: ')));
    for (const ch of 'pw-9876\r\n') events.push(...sut.feed('client', enc(ch)));
    expect(events).toEqual([
      { type: 'banner', text: 'Infusion Gateway IG-4 fw 2.3' },
      { type: 'login-prompt', prompt: 'login:' },
      { type: 'password-prompt', prompt: 'Password:' },
      { type: 'credentials', username: 'admin', credentialsSent: true },
    ]);
    expect(leaksNone(events, ['pw-9876'])).toBe(true);
  });

  it('a banner without any prompt is reported at the end', () => {
    const sut = new TelnetStreamDissector();
    expect(sut.feed('server', enc('Welcome to PACS console\r\n'))).toEqual([]);
    expect(sut.end()).toEqual([{ type: 'banner', text: 'Welcome to PACS console' }]);
  });

  it('IAC IAC is a literal 255 and option negotiation never reaches the text', () => {
    const sut = new TelnetStreamDissector();
    const bytes = Uint8Array.from([
      255,
      251,
      1,
      255,
      253,
      3,
      ...enc('Model X'),
      255,
      255,
      ...enc('\r\nlogin: '),
    ]);
    expect(sut.feed('server', bytes)).toEqual([
      { type: 'negotiation', command: 'WILL', option: 1 },
      { type: 'banner', text: 'Model X\u00ff' },
      { type: 'login-prompt', prompt: 'login:' },
    ]);
  });

  it('Zeek’s unclosed suboption: bounded, no events, no hang', () => {
    expect(UNCLOSED.length).toBeGreaterThan(2);
    const sut = new TelnetStreamDissector();
    expect(feedAll(sut, UNCLOSED)).toEqual([]);
    expect(sut.feed('client', new Uint8Array(100_000).fill(0x42))).toEqual([]);
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(() => new TelnetStreamDissector(), [SESSION, UNCLOSED.slice(0, 3)]);
  });
});

describe('TelnetStreamDissector: the credential check and failed logins', () => {
  it('hands the typed password to the check once, reports only its answer, and wipes it', () => {
    const seen: string[] = [];
    const sut = new TelnetStreamDissector({
      checkCredential: (user, pw) => {
        seen.push(`${user}:${new TextDecoder().decode(pw)}`);
        return 'entry-id';
      },
    });
    const ev = [...feedAll(sut, SESSION), ...sut.end()];
    expect(seen).toEqual(['biomed:Spacelabs123']);
    expect(ev.find((e) => e.type === 'credentials')).toEqual({
      type: 'credentials',
      username: 'biomed',
      credentialsSent: true,
      defaultCredential: 'entry-id',
    });
    expect(leaksNone(ev, ['Spacelabs123'])).toBe(true);
  });

  it('a refusal text in a banner before any prompt is no failed login', () => {
    const sut = new TelnetStreamDissector();
    const ev = sut.feed('server', new TextEncoder().encode('Access denied to guests; staff only\r\nlogin: '));
    expect(ev.map((e) => e.type)).toEqual(['banner', 'login-prompt']);
  });
});
