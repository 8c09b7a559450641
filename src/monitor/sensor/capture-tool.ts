/**
 * @module Live capture through the system's own capture tool: `dumpcap` (Wireshark) or `tcpdump`, run as
 * a child process without a shell, writing pcap to its standard output, which streams into the same
 * readers as a capture file. The tool holds the capture privilege (CAP_NET_RAW/CAP_NET_ADMIN, e.g.
 * dumpcap's setcap), never Vigil. When the tool dies it is restarted with capped exponential backoff, and
 * every exit and restart is reported; a tool that is missing, an interface that does not exist, or a first
 * start that fails before capturing (bad filter, no permission) is a hard failure with a clear message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { readCapture } from '../../capture/open-capture.js';
import { invalidInput, VigilError } from '../../errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { type PacketSink, type PacketSource, realSleep, type Sleep } from './packet-source.js';

export type CaptureToolName = 'dumpcap' | 'tcpdump';
export const CAPTURE_TOOL_CHOICES = ['auto', 'dumpcap', 'tcpdump'] as const;
export type CaptureToolChoice = (typeof CAPTURE_TOOL_CHOICES)[number];

export interface CaptureToolOptions {
  interface: string;
  /** BPF filter, passed as one argument (never through a shell). */
  filter?: string;
  tool?: CaptureToolChoice;
  /** Bytes kept per packet (the tool's -s); default: the tool's own (262144). */
  snaplen?: number;
  backoff?: BackoffOptions;
  /** Reported on each exit and restart (the CLI prints it, the log records it). */
  onEvent?: (event: CaptureToolEvent) => void;
  /** Where to look for the tools (default: PATH, then /usr/sbin, /usr/bin, /sbin, /bin). */
  searchPath?: string[];
  /** For tests: how to wait and what time it is. */
  sleep?: Sleep;
  now?: () => number;
}

export interface CaptureToolExit {
  at: string;
  code: number | null;
  signal: string | null;
  /** How long the run lasted, ms. */
  ranMs: number;
  bytes: number;
  /** The last lines the tool wrote to stderr (its own diagnostics; no packet data). */
  stderr: string;
}

export type CaptureToolEvent =
  | { type: 'started'; tool: CaptureToolName; pid: number; start: number }
  | { type: 'exited'; tool: CaptureToolName; exit: CaptureToolExit; restartInMs: number };

export interface CaptureToolStatus {
  tool: CaptureToolName | null;
  toolPath: string | null;
  interface: string;
  filter: string | null;
  state: 'starting' | 'running' | 'backoff' | 'stopped' | 'failed';
  pid: number | null;
  /** Tool runs started, including the first. */
  starts: number;
  restarts: number;
  lastExit: CaptureToolExit | null;
  /** ISO time of the next start while in backoff. */
  nextStartAt: string | null;
}

const STDERR_KEEP = 2048;
/**
 * What tcpdump prints once it has opened the interface and compiled the filter. dumpcap's "Capturing on
 * 'eth1'" is no such sign: it prints it before it compiles the filter, so a bad filter would count as a
 * capture that later died, and be restarted forever. Both tools write the pcap header to the pipe as soon
 * as capture really begins (packets or not), which is what `bytes > 0` sees.
 */
const CAPTURING = /listening on /;

/**
 * Linux interface names: 1–15 bytes, no `/`, `:` or whitespace, not `.` or `..` (dev_valid_name); we also
 * refuse a leading `-` so a name can never be read as an option, and anything outside printable ASCII.
 */
export function validateInterfaceName(name: string): string {
  if (!/^(?!-)(?!\.{1,2}$)[\x21-\x7e]{1,15}$/.test(name) || /[/:]/.test(name))
    throw invalidInput(
      `Invalid interface name ${JSON.stringify(name.slice(0, 40))}: 1–15 printable characters, no '/', ':' or spaces, not starting with '-'`,
    );
  return name;
}

/** A BPF filter is text for the tool's compiler; control characters have no place in it. */
export function validateFilter(filter: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (filter.length > 4096 || /[\x00-\x08\x0a-\x1f\x7f]/.test(filter))
    throw invalidInput('Invalid capture filter: at most 4096 characters, no control characters');
  return filter;
}

/** The interface must exist (Linux: /sys/class/net/IF); `any` is libpcap's all-interfaces pseudo device. */
export function assertInterfaceExists(name: string, sysNet = '/sys/class/net'): void {
  if (name === 'any' || !existsSync(sysNet)) return;
  if (!existsSync(join(sysNet, name)))
    throw new VigilError(
      'configuration',
      `No network interface named ${name} (see \`ip link\`; in a network namespace run the sensor inside it)`,
    );
}

function defaultSearchPath(): string[] {
  const fromEnv = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  return [...new Set([...fromEnv, '/usr/sbin', '/usr/bin', '/sbin', '/bin'])];
}

function findExecutable(name: string, dirs: string[]): string | null {
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** `auto` prefers dumpcap (it is built to run with only the capture capabilities), else tcpdump. */
export function resolveCaptureTool(
  choice: CaptureToolChoice,
  searchPath: string[] = defaultSearchPath(),
): { tool: CaptureToolName; path: string } {
  const order: CaptureToolName[] = choice === 'auto' ? ['dumpcap', 'tcpdump'] : [choice];
  for (const tool of order) {
    const path = findExecutable(tool, searchPath);
    if (path) return { tool, path };
  }
  const wanted = choice === 'auto' ? 'dumpcap or tcpdump' : choice;
  throw new VigilError(
    'configuration',
    `No capture tool found: ${wanted} is not installed (Debian: apt-get install ${choice === 'tcpdump' ? 'tcpdump' : 'wireshark-common'}${choice === 'auto' ? ' or tcpdump' : ''})`,
  );
}

/** argv for the tool (no shell is involved; the filter is one argument and cannot become an option). */
export function captureToolArgs(
  tool: CaptureToolName,
  o: { interface: string; filter?: string; snaplen?: number },
): string[] {
  const snap = o.snaplen ? ['-s', String(o.snaplen)] : [];
  if (tool === 'dumpcap') {
    // -P: classic pcap; -q: no packet counts on stderr; -w -: standard output.
    return ['-i', o.interface, '-P', '-q', ...snap, ...(o.filter ? ['-f', o.filter] : []), '-w', '-'];
  }
  // -U: flush after every packet (the pipe is the stream); `--` ends the options before the expression.
  return ['-i', o.interface, '-U', '-n', ...snap, '-w', '-', ...(o.filter ? ['--', o.filter] : [])];
}

export class CaptureToolSource implements PacketSource {
  readonly mode = 'interface' as const;
  readonly label: string;
  private readonly backoff: Backoff;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly st: CaptureToolStatus;
  private child: ChildProcess | undefined;

  constructor(private readonly options: CaptureToolOptions) {
    this.label = validateInterfaceName(options.interface);
    if (options.filter !== undefined) validateFilter(options.filter);
    this.backoff = new Backoff(options.backoff);
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.st = {
      tool: null,
      toolPath: null,
      interface: options.interface,
      filter: options.filter ?? null,
      state: 'starting',
      pid: null,
      starts: 0,
      restarts: 0,
      lastExit: null,
      nextStartAt: null,
    };
  }

  status(): CaptureToolStatus & Record<string, unknown> {
    return { ...this.st };
  }

  async run(sink: PacketSink, signal: AbortSignal): Promise<void> {
    try {
      const { tool, path } = resolveCaptureTool(this.options.tool ?? 'auto', this.options.searchPath);
      this.st.tool = tool;
      this.st.toolPath = path;
      assertInterfaceExists(this.options.interface);
      const args = captureToolArgs(tool, this.options);
      let captured = false;
      while (!signal.aborted) {
        const started = this.now();
        const run = await this.runOnce(tool, path, args, sink, signal);
        if (signal.aborted) break;
        captured ||= run.capturing || run.bytes > 0;
        const exit: CaptureToolExit = { ...run.exit, ranMs: this.now() - started };
        this.st.lastExit = exit;
        if (!captured) {
          // The very first start never got to capture: a bad filter, no permission, a vanished
          // interface. Retrying cannot fix configuration; say what the tool said.
          throw new VigilError(
            'configuration',
            `${tool} could not start capturing on ${this.label} (exit ${exit.code ?? exit.signal}): ${exit.stderr.trim() || 'no message'}` +
              (/permission|not permitted/i.test(exit.stderr)
                ? ' (give the capture tool its capabilities, e.g. dpkg-reconfigure wireshark-common or setcap cap_net_raw,cap_net_admin=eip on dumpcap; see docs/sensor.md)'
                : ''),
          );
        }
        const delay = this.backoff.next(exit.ranMs);
        this.st.state = 'backoff';
        this.st.nextStartAt = new Date(this.now() + delay).toISOString();
        this.options.onEvent?.({ type: 'exited', tool, exit, restartInMs: delay });
        await this.sleep(delay, signal);
        this.st.nextStartAt = null;
        if (!signal.aborted) this.st.restarts++;
      }
      this.st.state = 'stopped';
    } catch (e) {
      this.st.state = 'failed';
      throw e;
    }
  }

  /** One run of the tool: until it exits (or the signal stops it), its pcap stream fed into the sink. */
  private async runOnce(
    tool: CaptureToolName,
    path: string,
    args: string[],
    sink: PacketSink,
    signal: AbortSignal,
  ): Promise<{ exit: Omit<CaptureToolExit, 'ranMs'>; bytes: number; capturing: boolean }> {
    this.st.state = 'running';
    this.st.starts++;
    // Its own process group: Ctrl-C in a terminal reaches only the sensor, which then stops the tool
    // itself, instead of the tool dying first and being reported (and restarted) as a crash.
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    this.child = child;
    this.st.pid = child.pid ?? null;
    let stderr = '';
    let capturing = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
      if (!capturing && CAPTURING.test(stderr)) capturing = true;
    });
    const closed = new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, sig) => resolve({ code, signal: sig }));
    });
    const stop = () => {
      child.kill('SIGTERM');
      // A tool that ignores SIGTERM does not hold the sensor's shutdown hostage.
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    };
    signal.addEventListener('abort', stop, { once: true });
    if (child.pid !== undefined)
      this.options.onEvent?.({ type: 'started', tool, pid: child.pid, start: this.st.starts });
    sink.beginStream(this.label);
    const capture = readCapture(child.stdout!, { file: this.label });
    let bytes = 0;
    try {
      const stats = await capture.forEach((p) => {
        sink.packet(p);
      });
      bytes = stats.sourceBytes;
      // A tool killed mid-record leaves a truncated tail: worth a note, not a failure. A tool that wrote
      // nothing failed to start; "offset 0: empty input" would only hide what its exit says.
      if (bytes > 0) sink.issues(stats.issues);
    } catch {
      // The pipe broke with the tool; the exit below says why.
      bytes = capture.stats.sourceBytes;
    }
    const r = await closed;
    signal.removeEventListener('abort', stop);
    this.child = undefined;
    this.st.pid = null;
    if (r.error)
      throw new VigilError('configuration', `Cannot run ${path}: ${r.error.message}`, { cause: r.error });
    return {
      exit: { at: new Date(this.now()).toISOString(), code: r.code, signal: r.signal, bytes, stderr },
      bytes,
      capturing,
    };
  }

  /** The running tool's pid (tests kill it to see the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}
