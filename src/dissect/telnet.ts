/**
 * @module Telnet dissector: strips option negotiation, keeps the server's banner text and notices
 * the login dialogue — a `login:` prompt, the user name typed after it, a `Password:` prompt and that
 * the client then sent something (`credentialsSent`), and a failed login after a prompt. The password is
 * never kept: bytes typed after a password prompt are held (at most 128) only until the end of the line,
 * to be handed to an optional {@link CredentialCheck}, then wiped. Prompt and answer are matched in the order
 * the two directions are fed, so feed them in capture order.
 * @see RFC 854 (NVT, IAC commands, CR NUL), RFC 855 (option subnegotiation), RFC 1091 (TERMINAL-TYPE)
 */
import type { Direction } from './byte-queue.js';
import type { CredentialCheck } from './credential-check.js';

export type TelnetEvent =
  /** Server text before the first prompt (at most 2 KiB, control sequences removed). */
  | { type: 'banner'; text: string }
  | { type: 'login-prompt'; prompt: string }
  | { type: 'password-prompt'; prompt: string }
  /**
   * The client answered a password prompt. `username` is what it typed after the login prompt;
   * `defaultCredential` the default entry the {@link CredentialCheck} recognised.
   */
  | { type: 'credentials'; username?: string; credentialsSent: true; defaultCredential?: string }
  /** The server refused a login (`Login incorrect` …) after it had asked for one. */
  | { type: 'login-failed'; text: string }
  /** TERMINAL-TYPE IS from the client (e.g. `XTERM`). */
  | { type: 'terminal-type'; value: string }
  /**
   * The server's first option negotiation (IAC WILL/WONT/DO/DONT <option>), once per connection: a
   * Telnet server answered, even if it never got as far as a line of text (a scanner's probe).
   */
  | { type: 'negotiation'; command: 'WILL' | 'WONT' | 'DO' | 'DONT'; option: number };

const IAC = 255;
const SB = 250;
const SE = 240;
const EC = 247;
const EL = 248;
const MAX_SUBOPTION = 512;
/** @see RFC 854: WILL 251, WONT 252, DO 253, DONT 254 */
const COMMANDS = ['WILL', 'WONT', 'DO', 'DONT'] as const;
const MAX_BANNER = 2048;
const MAX_LINE = 512;
const MAX_USERNAME = 64;
const MAX_PASSWORD = 128;
/** Bytes per direction worth reading: the login dialogue is at the start; the session after it is not parsed. */
const MAX_BYTES = 64 * 1024;

const PASSWORD_PROMPT = /(?:password|passcode|passwd|pin)\s*:\s*$/i;
const LOGIN_PROMPT = /(?:^|[\s>[\]])(?:login|username|user\s*name|user|userid|user id)\s*:\s*$/i;
const LOGIN_FAILED =
  /login incorrect|incorrect login|authentication fail|access denied|invalid (?:login|password|user)|login failed/i;

type IacState = 'data' | 'iac' | 'option' | 'sb' | 'sb-iac';

class Nvt {
  state: IacState = 'data';
  /** The WILL/WONT/DO/DONT byte whose option byte comes next. */
  command = 0;
  sub: number[] = [];
  subOverflow = false;
  seen = 0;
  /** Inside an ANSI escape sequence (server text only). */
  esc: 'none' | 'esc' | 'csi' = 'none';
  lastCr = false;
}

export interface TelnetOptions {
  checkCredential?: CredentialCheck;
}

/** Follows one Telnet connection. Feed each direction's bytes in capture order; never throws. */
export class TelnetStreamDissector {
  private readonly nvt = { client: new Nvt(), server: new Nvt() };
  private serverLine = '';
  private promptOnLine = false;
  private banner: string[] = [];
  private bannerBytes = 0;
  private bannerDone = false;
  private awaiting: 'none' | 'username' | 'password' = 'none';
  private clientLine = '';
  private passwordTyped = 0;
  /** The password being typed, for the credential check only; wiped at the end of its line. */
  private readonly password = new Uint8Array(MAX_PASSWORD);
  private username: string | undefined;
  /** A login or password prompt was seen: only then is a refusal text a failed login. */
  private promptSeen = false;
  private serverNegotiated = false;
  /**
   * Lines the client typed before any prompt was seen, counted and never kept: with only the client's
   * direction captured, the first two are the login name and the password.
   */
  unpromptedLines = 0;
  private unpromptedText = false;

  constructor(private readonly options: TelnetOptions = {}) {}

  /** True once both directions passed the part worth reading (the first 64 KiB of each). */
  get done(): boolean {
    return this.nvt.client.seen >= MAX_BYTES && this.nvt.server.seen >= MAX_BYTES;
  }

  feed(direction: Direction, bytes: Uint8Array): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    const n = this.nvt[direction];
    const room = MAX_BYTES - n.seen;
    if (room <= 0) return events;
    const input = bytes.length > room ? bytes.subarray(0, room) : bytes;
    n.seen += input.length;
    for (let i = 0; i < input.length; i++) this.byte(direction, n, input[i]!, events);
    if (direction === 'server') this.checkPrompt(events);
    return events;
  }

  /** Call at the end of the connection: a banner never followed by a prompt is reported then. */
  end(): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    this.flushBanner(events);
    return events;
  }

  private byte(dir: Direction, n: Nvt, b: number, events: TelnetEvent[]): void {
    switch (n.state) {
      case 'data':
        if (b === IAC) n.state = 'iac';
        else this.text(dir, n, b, events);
        return;
      case 'iac':
        n.state = 'data';
        if (b === IAC) this.text(dir, n, b, events);
        else if (b >= 251) {
          n.state = 'option'; // WILL WONT DO DONT <option>
          n.command = b;
        } else if (b === SB) {
          n.state = 'sb';
          n.sub = [];
          n.subOverflow = false;
        } else if (dir === 'client' && b === EC) this.clientLine = this.clientLine.slice(0, -1);
        else if (dir === 'client' && b === EL) this.clientLine = '';
        return;
      case 'option':
        n.state = 'data';
        if (dir === 'server' && !this.serverNegotiated) {
          this.serverNegotiated = true;
          events.push({ type: 'negotiation', command: COMMANDS[n.command - 251]!, option: b });
        }
        return;
      case 'sb':
        if (b === IAC) n.state = 'sb-iac';
        else this.subByte(n, b);
        return;
      case 'sb-iac':
        if (b === SE) {
          n.state = 'data';
          if (!n.subOverflow) this.subnegotiation(dir, n.sub, events);
          n.sub = [];
        } else if (b === IAC) {
          n.state = 'sb';
          this.subByte(n, b);
        } else {
          // IAC <cmd> inside a subnegotiation: malformed; treat as its end (as most stacks do)
          n.state = 'data';
          n.sub = [];
        }
        return;
    }
  }

  private subByte(n: Nvt, b: number): void {
    if (n.sub.length < MAX_SUBOPTION) n.sub.push(b);
    else n.subOverflow = true;
  }

  private subnegotiation(dir: Direction, sub: number[], events: TelnetEvent[]): void {
    // TERMINAL-TYPE (24) IS (0) <name>
    if (dir === 'client' && sub[0] === 24 && sub[1] === 0 && sub.length > 2) {
      const value = String.fromCharCode(...sub.slice(2)).replace(/[^\x20-\x7e]/g, '');
      if (value) events.push({ type: 'terminal-type', value });
    }
  }

  private text(dir: Direction, n: Nvt, b: number, events: TelnetEvent[]): void {
    // CR NUL and CR LF are one end of line (RFC 854)
    const wasCr = n.lastCr;
    n.lastCr = b === 0x0d;
    if (wasCr && (b === 0 || b === 0x0a)) return;
    if (dir === 'client') this.clientByte(b, events);
    else this.serverByte(n, b, events);
  }

  private serverByte(n: Nvt, b: number, events: TelnetEvent[]): void {
    if (n.esc === 'esc') {
      n.esc = b === 0x5b ? 'csi' : 'none';
      return;
    }
    if (n.esc === 'csi') {
      if (b >= 0x40 && b <= 0x7e) n.esc = 'none';
      return;
    }
    if (b === 0x1b) {
      n.esc = 'esc';
      return;
    }
    if (b === 0x0d || b === 0x0a) {
      this.checkPrompt(events);
      this.serverLineDone(events);
      return;
    }
    if (b === 0x09 || (b >= 0x20 && b !== 0x7f)) {
      if (this.serverLine.length < MAX_LINE) this.serverLine += String.fromCharCode(b);
    }
  }

  private serverLineDone(events: TelnetEvent[]): void {
    const line = this.serverLine.trim();
    this.serverLine = '';
    this.promptOnLine = false;
    if (line === '') return;
    if (this.promptSeen && LOGIN_FAILED.test(line)) events.push({ type: 'login-failed', text: line });
    if (!this.bannerDone) {
      this.banner.push(line);
      this.bannerBytes += line.length + 1;
      if (this.bannerBytes >= MAX_BANNER) this.flushBanner(events);
    }
  }

  private checkPrompt(events: TelnetEvent[]): void {
    if (this.promptOnLine) return;
    const line = this.serverLine;
    if (PASSWORD_PROMPT.test(line)) {
      this.promptOnLine = true;
      this.promptSeen = true;
      this.flushBanner(events);
      this.awaiting = 'password';
      this.passwordTyped = 0;
      events.push({ type: 'password-prompt', prompt: line.trim() });
    } else if (LOGIN_PROMPT.test(line)) {
      this.promptOnLine = true;
      this.promptSeen = true;
      this.flushBanner(events);
      this.awaiting = 'username';
      this.clientLine = '';
      events.push({ type: 'login-prompt', prompt: line.trim() });
    }
  }

  private flushBanner(events: TelnetEvent[]): void {
    if (this.bannerDone) return;
    this.bannerDone = true;
    const text = this.banner.join('\n').slice(0, MAX_BANNER);
    this.banner = [];
    if (text !== '') events.push({ type: 'banner', text });
  }

  private clientByte(b: number, events: TelnetEvent[]): void {
    const endOfLine = b === 0x0d || b === 0x0a;
    if (!this.promptSeen) {
      if (!endOfLine) this.unpromptedText ||= b >= 0x20 && b !== 0x7f;
      else if (this.unpromptedText) {
        this.unpromptedLines++;
        this.unpromptedText = false;
      }
    }
    if (this.awaiting === 'password') {
      // counted, never stored
      if (!endOfLine) {
        if (b === 0x08 || b === 0x7f) this.passwordTyped = Math.max(0, this.passwordTyped - 1);
        else if (b !== 0) {
          if (this.passwordTyped < MAX_PASSWORD) this.password[this.passwordTyped] = b;
          this.passwordTyped++;
        }
        return;
      }
      this.awaiting = 'none';
      if (this.passwordTyped > 0) {
        const ev: Extract<TelnetEvent, { type: 'credentials' }> = {
          type: 'credentials',
          credentialsSent: true,
        };
        if (this.username !== undefined) ev.username = this.username;
        const check = this.options.checkCredential;
        if (check && this.passwordTyped <= MAX_PASSWORD) {
          const match = check(this.username, this.password.subarray(0, this.passwordTyped));
          if (match !== undefined) ev.defaultCredential = match;
        }
        events.push(ev);
      }
      this.password.fill(0);
      this.passwordTyped = 0;
      return;
    }
    if (this.awaiting !== 'username') return; // shell input is not kept
    if (endOfLine) {
      const name = this.clientLine.trim();
      this.clientLine = '';
      if (name !== '') {
        this.username = name.slice(0, MAX_USERNAME);
        this.awaiting = 'none';
      }
      return;
    }
    if (b === 0x08 || b === 0x7f) this.clientLine = this.clientLine.slice(0, -1);
    else if (b >= 0x20 && this.clientLine.length < MAX_USERNAME) this.clientLine += String.fromCharCode(b);
  }
}
