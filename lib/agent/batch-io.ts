/**
 * The optional native batch I/O path (native/batchio/batchio.c, an N-API addon): recvmmsg() and
 * sendmmsg() on the data plane's socket, a whole batch of datagrams per JavaScript call, into
 * buffers allocated once. This file finds and loads the addon and wraps one watched socket.
 *
 * Where the addon comes from (first found wins):
 *   1. GWLB_AGENT_BATCHIO=<file.node>: that file (diagnostics and tests; "none" disables the addon).
 *   2. The agent bundle: scripts/bundle-agent.js and the construct's asset embed the prebuilt
 *      batchio-linux-x64.node and batchio-linux-arm64.node (built by scripts/build-batchio.js, no
 *      compiler on the appliance); the one for process.arch is written to a private temporary
 *      directory, loaded, and deleted again.
 *   3. Unbundled (tests, ts-node): dist/agent/native/batchio-linux-<arch>.node of this checkout.
 * `--io auto` (default) falls back to the JavaScript dgram path when none loads and says why;
 * `--io native` refuses to start instead.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Socket } from 'node:dgram';

export type IoMode = 'auto' | 'native' | 'js';
export const IO_MODES: readonly IoMode[] = ['auto', 'native', 'js'];

/** Base64 of the prebuilt addons by process.arch, injected by the bundler (esbuild `define`). */
declare const GWLB_AGENT_BATCHIO_PREBUILT: Readonly<Record<string, string>> | undefined;

/** The addon's exports (batchio.c). */
export interface BatchIoAddon {
  readonly VERSION: number;
  readonly BATCH: number;
  readonly SLOT: number;
  readonly META_FIELDS: number;
  readonly FLAG_TRUNCATED: number;
  readonly COUNTER_NAMES: readonly string[];
  open(options: BatchOpenOptions): object;
  close(handle: object): void;
  ref(handle: object, on: boolean): void;
  sweep(handle: object, ageMs: number): number;
}

interface BatchOpenOptions {
  recvFd: number;
  sendFd: number;
  listenAddress: number;
  listenPort: number;
  boundPort: number;
  reusePort: number;
  maxSockets: number;
  data: Uint8Array;
  meta: Uint32Array;
  verdicts: Uint8Array;
  counters: Float64Array;
  onBatch: (count: number) => void;
}

/** The addon version this code speaks to. */
export const BATCHIO_VERSION = 1;
/** Architectures a prebuilt addon is shipped for. */
export const BATCHIO_ARCHES: readonly string[] = ['x64', 'arm64'];

/** File name of the prebuilt addon for an architecture. */
export function batchIoFileName(arch: string): string {
  return `batchio-linux-${arch}.node`;
}

export type BatchIoLoad = { readonly addon: BatchIoAddon; readonly source: string } | { readonly addon: null; readonly reason: string };

let cached: BatchIoLoad | null = null;

/** Load the addon once per thread; never throws (the reason says why it is unavailable). */
export function loadBatchIo(): BatchIoLoad {
  if (cached === null) {
    cached = resolveBatchIo({
      platform: process.platform, arch: process.arch, override: process.env.GWLB_AGENT_BATCHIO,
      embedded: typeof GWLB_AGENT_BATCHIO_PREBUILT === 'undefined' ? undefined : GWLB_AGENT_BATCHIO_PREBUILT,
      distDir: path.join(__dirname, '..', '..', 'dist', 'agent', 'native'),
    });
  }
  return cached;
}

/** Where to look for the addon (loadBatchIo passes this process's facts). */
export interface BatchIoLookup {
  readonly platform: string;
  readonly arch: string;
  /** GWLB_AGENT_BATCHIO. */
  readonly override?: string;
  /** Base64 of the addons embedded by the bundler, by architecture; undefined when not bundled. */
  readonly embedded?: Readonly<Record<string, string>>;
  /** Where an unbundled checkout keeps the built addons. */
  readonly distDir: string;
}

/** Find and load the addon as the file comment says. Never throws. */
export function resolveBatchIo(l: BatchIoLookup): BatchIoLoad {
  if (l.platform !== 'linux') return { addon: null, reason: `platform ${l.platform} is not linux` };
  if (l.override === 'none') return { addon: null, reason: 'disabled by GWLB_AGENT_BATCHIO=none' };
  if (l.override !== undefined && l.override !== '') return dlopen(l.override, l.override);
  if (!BATCHIO_ARCHES.includes(l.arch)) return { addon: null, reason: `no prebuilt addon for ${l.arch}` };
  if (l.embedded !== undefined) {
    const b64 = l.embedded[l.arch];
    if (b64 === undefined) return { addon: null, reason: `the bundle has no addon for ${l.arch}` };
    return loadEmbedded(Buffer.from(b64, 'base64'), l.arch);
  }
  const file = path.join(l.distDir, batchIoFileName(l.arch));
  if (!fs.existsSync(file)) return { addon: null, reason: `${file} does not exist (npm run build:batchio)` };
  return dlopen(file, file);
}

/** Write the embedded addon to a private directory (0700), load it, delete it again. */
function loadEmbedded(bytes: Buffer, arch: string): BatchIoLoad {
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-batchio-'));
  } catch (err) {
    return { addon: null, reason: `cannot create a temporary directory for the addon: ${(err as Error).message}` };
  }
  const file = path.join(dir, batchIoFileName(arch));
  try {
    fs.writeFileSync(file, bytes, { mode: 0o500 });
    return dlopen(file, `bundle (${batchIoFileName(arch)})`);
  } catch (err) {
    return { addon: null, reason: `cannot write the addon to ${dir}: ${(err as Error).message}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function dlopen(file: string, source: string): BatchIoLoad {
  const mod = { exports: {} as Partial<BatchIoAddon> };
  try {
    process.dlopen(mod, file);
  } catch (err) {
    return { addon: null, reason: `cannot load ${source}: ${(err as Error).message.split('\n')[0]}` };
  }
  const a = mod.exports;
  if (a.VERSION !== BATCHIO_VERSION || typeof a.open !== 'function' || !Array.isArray(a.COUNTER_NAMES)) {
    return { addon: null, reason: `${file} is not batchio version ${BATCHIO_VERSION}` };
  }
  return { addon: a as BatchIoAddon, source };
}

/** The addon's counters, folded into the data plane's metrics by BatchSocket.drain(). */
export interface BatchCounts {
  packetsOut: number;
  bytesOut: number;
  sendErrors: number;
  portsNotKept: number;
  probePacketsOut: number;
  probeBytesOut: number;
  probeSendErrors: number;
  probePortsNotKept: number;
  replyBindFailures: number;
  replySocketEvictions: number;
  socketErrors: number;
  callbackErrors: number;
}

const FOLDED: readonly (keyof BatchCounts)[] = [
  'packetsOut', 'bytesOut', 'sendErrors', 'portsNotKept', 'probePacketsOut', 'probeBytesOut', 'probeSendErrors',
  'probePortsNotKept', 'replyBindFailures', 'replySocketEvictions', 'socketErrors', 'callbackErrors',
];

/** The descriptor and the reading switch of a bound dgram socket (node internals, checked). */
interface UdpHandleInternals {
  fd?: number;
  recvStop?: () => number;
}

/** The file descriptor of a bound dgram socket, or a reason why there is none. */
export function dgramFd(socket: Socket): { fd: number; handle: UdpHandleInternals } | string {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (sym === undefined) return 'dgram sockets have no state symbol';
  const state = (socket as unknown as Record<symbol, { handle?: UdpHandleInternals | null } | undefined>)[sym];
  const handle = state?.handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') {
    return 'the dgram socket has no file descriptor or recvStop';
  }
  return { fd: handle.fd, handle };
}

export interface BatchSocketOptions {
  /** The socket whose datagrams the addon reads (node stops reading it). */
  readonly receive: Socket;
  /** The listening socket: dgram-mode replies and fallbacks leave from it. */
  readonly listening: Socket;
  /** The listen address (dotted quad; 0.0.0.0 = wildcard) and port. */
  readonly listenAddress: string;
  readonly listenPort: number;
  /** bound-port replies (keep both ports), else replies from the listening socket. */
  readonly boundPort: boolean;
  readonly reusePort: boolean;
  readonly maxSockets: number;
  /** Inspect datagrams 0..count-1 of `batch` and write their verdicts. Must not throw. */
  readonly onBatch: (batch: BatchView, count: number) => void;
}

/** The buffers a batch is read from and its verdicts written to (shared with the addon). */
export interface BatchView {
  /** Datagram i starts at i * slot. */
  readonly data: Buffer;
  readonly slot: number;
  /** Per datagram: source address (u32, host order), source port, length, flags. */
  readonly meta: Uint32Array;
  readonly metaFields: number;
  readonly truncatedFlag: number;
  /** Per datagram: 0 drop, 1 reply, 2 reply counted as the self-probe's. */
  readonly verdicts: Uint8Array;
}

export const VERDICT_DROP = 0;
export const VERDICT_REPLY = 1;
export const VERDICT_PROBE_REPLY = 2;

/** One socket read in batches by the addon. */
export class BatchSocket {
  readonly view: BatchView;
  private handle: object | null;
  private readonly counters: Float64Array;
  private readonly index: Record<string, number> = {};
  private readonly folded: Float64Array;

  constructor(private readonly addon: BatchIoAddon, opts: BatchSocketOptions) {
    const recv = dgramFd(opts.receive);
    if (typeof recv === 'string') throw new Error(recv);
    const send = dgramFd(opts.listening);
    if (typeof send === 'string') throw new Error(send);
    addon.COUNTER_NAMES.forEach((n, i) => (this.index[n] = i));
    for (const n of FOLDED) if (this.index[n] === undefined) throw new Error(`the addon has no counter ${n}`);
    this.counters = new Float64Array(addon.COUNTER_NAMES.length);
    this.folded = new Float64Array(FOLDED.length);
    this.view = {
      data: Buffer.alloc(addon.BATCH * addon.SLOT),
      slot: addon.SLOT,
      meta: new Uint32Array(addon.BATCH * addon.META_FIELDS),
      metaFields: addon.META_FIELDS,
      truncatedFlag: addon.FLAG_TRUNCATED,
      verdicts: new Uint8Array(addon.BATCH),
    };
    const view = this.view;
    const onBatch = opts.onBatch;
    this.handle = addon.open({
      recvFd: recv.fd,
      sendFd: send.fd,
      listenAddress: ipv4ToU32(opts.listenAddress),
      listenPort: opts.listenPort,
      boundPort: opts.boundPort ? 1 : 0,
      reusePort: opts.reusePort ? 1 : 0,
      maxSockets: opts.maxSockets,
      data: view.data,
      meta: view.meta,
      verdicts: view.verdicts,
      counters: this.counters,
      onBatch: (count) => onBatch(view, count),
    });
    // From here on the addon reads the socket; node must not (it would take datagrams away).
    recv.handle.recvStop!();
  }

  /** Counter value by name (see COUNTER_NAMES in batchio.c). */
  counter(name: string): number {
    const i = this.index[name];
    return i === undefined ? NaN : this.counters[i];
  }

  /** Reply sockets the addon holds open. */
  get openSockets(): number {
    return this.counter('openReplySockets');
  }

  /** Counts since the last drain() (monotonic counters only). */
  drain(out: BatchCounts): void {
    for (let k = 0; k < FOLDED.length; k++) {
      const now = this.counters[this.index[FOLDED[k]]];
      out[FOLDED[k]] += now - this.folded[k];
      this.folded[k] = now;
    }
  }

  /** Forget failed reply binds at least `ageMs` old (the next datagram binds again); how many. */
  sweepFailed(ageMs: number): number {
    return this.handle === null ? 0 : this.addon.sweep(this.handle, Math.max(0, ageMs));
  }

  /** Whether the watched socket keeps the thread's event loop alive. */
  ref(on: boolean): void {
    if (this.handle !== null) this.addon.ref(this.handle, on);
  }

  close(): void {
    const h = this.handle;
    this.handle = null;
    if (h !== null) this.addon.close(h);
  }
}

/** Zeroed counts to drain into. */
export function emptyBatchCounts(): BatchCounts {
  return {
    packetsOut: 0, bytesOut: 0, sendErrors: 0, portsNotKept: 0, probePacketsOut: 0, probeBytesOut: 0, probeSendErrors: 0,
    probePortsNotKept: 0, replyBindFailures: 0, replySocketEvictions: 0, socketErrors: 0, callbackErrors: 0,
  };
}

/** Dotted quad to u32 (host order). The callers pass validated IPv4 literals. */
export function ipv4ToU32(address: string): number {
  const p = address.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

/** u32 (host order) to dotted quad. */
export function u32ToIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
