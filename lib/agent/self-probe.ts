/**
 * Data-path self-probe: /healthz reflects whether a packet actually makes it through the agent.
 *
 * Every `intervalMs` (default 2 s, unref'd timer) the probe plays the GWLB on loopback: it sends a
 * valid GWLB GENEVE packet (three AWS options, ENI id = a random 64-bit nonce drawn at startup,
 * inner IPv4/UDP) to the agent's listening port. The agent takes it through the real receive path,
 * the real inspector (decode + flow table; policy verdicts are waived, see isProbeSource in
 * dataplane.ts) and the real replier. The probe checks that the reply is byte-for-byte the probe and
 * that the ports the reply mode promises are kept. After `failureThreshold` (default 2) probes in a
 * row without a correct reply within `timeoutMs` (default 1 s), failure() returns the reason
 * /healthz reports with 503.
 *
 * Sockets (A = listening port, p = the probe's ephemeral source port, S = 127.0.0.81, T = where
 * the probe sends: the listen address, or 127.0.0.1 for the wildcard):
 *
 *   --listen    agent binds  probe sends   to            bound-port reply socket   reply lands on
 *   127.0.0.1   127.0.0.1:A  S:p           127.0.0.1:A   127.0.0.1:p -> S:A        probe receiver S:A
 *   10.0.0.5    10.0.0.5:A   S:p           10.0.0.5:A    10.0.0.5:p  -> S:A        probe receiver S:A
 *   0.0.0.0     0.0.0.0:A    S:p           127.0.0.1:A   127.0.0.1:p -> S:A        listening socket *:A
 *
 * - S is never the listen address, so the probe's S:p and the reply socket's L:p never collide.
 * - With 0.0.0.0, a reply socket bound to 0.0.0.0:p would collide with S:p, so the replier binds
 *   loopback peers to 127.0.0.1 (reply-bound-port.ts), the source the kernel picks for 127/8 anyway.
 * - With 0.0.0.0, S:A cannot be bound: the listening socket holds *:A without SO_REUSEADDR (and
 *   must keep it that way, or another local process could take GENEVE traffic). The reply then
 *   arrives on the listening socket, and the data plane hands it to the probe: its source (T:p, or
 *   T:A in dgram mode) is not the probe's request source S:p.
 * - dgram mode: the listening socket replies from T:A to S:A; the same receivers apply.
 *
 * Worker mode (workers.ts, option `worker`): each worker runs its own probe, from
 * workerProbeSource(index) (127.81.x.y), to a probe intake socket of that worker (an ephemeral port on
 * T, connected to the probe's S:p; see dataplane.ts) instead of A, so it reaches that worker and no
 * other; the reply goes to S:A as above, where the receiver binds with SO_REUSEPORT (the workers'
 * listening sockets hold *:A with it), so replyViaListeningSocket is false even with 0.0.0.0.
 *
 * Probes use one constant flow (cookie + inner 5-tuple), so they hold one flow-table entry at most;
 * a sequence number in the inner payload tells probes apart. Their traffic is counted in the data
 * plane's probe counters, never in the customer ones.
 */
import { randomBytes } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { ReplyMode } from './cli';
import { DROP_REASON_NAMES } from './drop-reasons';
import { awsOptions, encode, ETHERTYPE_IPV4 } from './geneve';
import type { ProbeEndpoint } from './dataplane';
import { monotonicMs } from './health';
import { LOOPBACK_REPLY_ADDRESS } from './reply-bound-port';
import { createUdp4Socket } from './reuse-port';

export const DEFAULT_PROBE_INTERVAL_MS = 2000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;
export const DEFAULT_PROBE_FAILURE_THRESHOLD = 2;

/** The reply timeout used for a probe interval: 1000 ms, or half the interval when that is shorter. */
export function probeTimeoutFor(intervalMs: number): number {
  return Math.min(DEFAULT_PROBE_TIMEOUT_MS, Math.floor(intervalMs / 2));
}
/** Loopback address the probe sends from (the alternative when the agent listens on it). */
export const PROBE_SOURCE_ADDRESS = '127.0.0.81';
export const PROBE_SOURCE_ADDRESS_ALT = '127.0.0.82';
/** Flow cookie of every probe: one flow. */
export const PROBE_FLOW_COOKIE = 0x5e1f9b0b;
const PROBE_MAGIC = Buffer.from('gwlb-agent self-probe v1', 'latin1'); // 24 bytes
const INNER_SRC = [203, 0, 113, 1]; // RFC 5737 TEST-NET-3
const INNER_DST = [203, 0, 113, 2];
const INNER_SRC_PORT = 49152;
const INNER_DST_PORT = 9; // discard
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const PAYLOAD_LENGTH = PROBE_MAGIC.length + 8; // magic, u32 sequence, 4 zero bytes
/** Offset of the sequence number in the GENEVE datagram (40-byte GWLB header). */
const SEQ_OFFSET = 40 + IPV4_HEADER + UDP_HEADER + PROBE_MAGIC.length;

export type ProbeResult = 'ok' | 'timeout' | 'mismatch';

export interface ProbeOutcome {
  readonly result: ProbeResult;
  /** Why it failed; empty when ok. */
  readonly detail: string;
}

export interface SelfProbeOptions {
  /** The agent's --listen address. */
  readonly listenAddress: string;
  /** The port the listening socket is bound to. */
  readonly listenPort: number;
  readonly replyMode: ReplyMode;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** How long a probe waits for its reply; less than intervalMs. @default 1000 */
  readonly timeoutMs?: number;
  /** Probes in a row without a correct reply that make /healthz 503. @default 2 */
  readonly failureThreshold?: number;
  /** Millisecond clock. @default - monotonic */
  readonly now?: () => number;
  /**
   * Worker mode (several workers on SO_REUSEPORT sockets, workers.ts): the probe of worker `index`
   * sends from its own loopback address (workerProbeSource) and binds its reply receiver with
   * reusePort, so even with --listen 0.0.0.0 the reply reaches this probe and no other worker.
   * @default - one agent, no workers
   */
  readonly worker?: { readonly index: number };
}

/** Loopback source of worker `index`'s probe: 127.81.x.y, never a listen address in 127.0/16. */
export function workerProbeSource(index: number): string {
  const n = index + 1;
  return `127.81.${(n >>> 8) & 255}.${n & 255}`;
}

/** Where the probe sends from and to, and who receives the reply (see the file comment). */
export interface ProbeAddressPlan {
  readonly source: string;
  readonly target: string;
  /** True with --listen 0.0.0.0: the reply arrives on the agent's listening socket. */
  readonly replyViaListeningSocket: boolean;
}

export function planProbeAddresses(listenAddress: string, workerIndex?: number): ProbeAddressPlan {
  const wildcard = listenAddress === '0.0.0.0';
  const target = wildcard ? LOOPBACK_REPLY_ADDRESS : listenAddress;
  if (workerIndex !== undefined) {
    const source = workerProbeSource(workerIndex);
    return { source: source === target ? workerProbeSource(workerIndex + 0x10000) : source, target, replyViaListeningSocket: false };
  }
  const source = target === PROBE_SOURCE_ADDRESS ? PROBE_SOURCE_ADDRESS_ALT : PROBE_SOURCE_ADDRESS;
  return { source, target, replyViaListeningSocket: wildcard };
}

/** The probe datagram with sequence number `seq`: GWLB GENEVE header around inner IPv4/UDP. */
export function buildProbePacket(eniId: bigint, seq: number): Buffer {
  const inner = Buffer.alloc(IPV4_HEADER + UDP_HEADER + PAYLOAD_LENGTH);
  inner[0] = 0x45;
  inner.writeUInt16BE(inner.length, 2);
  inner[8] = 64; // TTL
  inner[9] = 17; // UDP
  Buffer.from(INNER_SRC).copy(inner, 12);
  Buffer.from(INNER_DST).copy(inner, 16);
  inner.writeUInt16BE(ipv4Checksum(inner), 10);
  inner.writeUInt16BE(INNER_SRC_PORT, IPV4_HEADER);
  inner.writeUInt16BE(INNER_DST_PORT, IPV4_HEADER + 2);
  inner.writeUInt16BE(UDP_HEADER + PAYLOAD_LENGTH, IPV4_HEADER + 4); // checksum 0: none (IPv4)
  PROBE_MAGIC.copy(inner, IPV4_HEADER + UDP_HEADER);
  inner.writeUInt32BE(seq >>> 0, IPV4_HEADER + UDP_HEADER + PROBE_MAGIC.length);
  return encode({
    protocolType: ETHERTYPE_IPV4,
    options: awsOptions({ eniId, attachmentId: 0n, flowCookie: PROBE_FLOW_COOKIE }),
    payload: inner,
  });
}

function ipv4Checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < IPV4_HEADER; i += 2) sum += buf.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Sequence number of a probe-shaped datagram, or -1. */
function probeSeq(msg: Buffer): number {
  if (msg.length < SEQ_OFFSET + 4) return -1;
  if (!msg.subarray(SEQ_OFFSET - PROBE_MAGIC.length, SEQ_OFFSET).equals(PROBE_MAGIC)) return -1;
  return msg.readUInt32BE(SEQ_OFFSET);
}

function describeDifference(got: Buffer, sent: Buffer): string {
  if (got.length !== sent.length) return `${got.length} bytes instead of ${sent.length}`;
  let i = 0;
  while (got[i] === sent[i]) i++;
  return `byte ${i} is 0x${got[i].toString(16).padStart(2, '0')} instead of 0x${sent[i].toString(16).padStart(2, '0')}`;
}

interface PendingProbe {
  readonly seq: number;
  readonly packet: Buffer;
  readonly resolve: (o: ProbeOutcome) => void;
  readonly done: Promise<ProbeOutcome>;
  readonly timer: NodeJS.Timeout;
  problem: string;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: ${value} is not a positive integer`);
  return value;
}

export class SelfProbe implements ProbeEndpoint {
  /** The ENI id nonce, drawn at construction. */
  readonly eniId: bigint;
  readonly eniIdHigh: number;
  readonly eniIdLow: number;
  readonly plan: ProbeAddressPlan;
  readonly results: Record<ProbeResult, number> = { ok: 0, timeout: 0, mismatch: 0 };
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  /** Error events on the probe's own sockets. */
  socketErrors = 0;
  private _consecutiveFailures = 0;
  private lastFailure = '';
  private lastSuccessAt = -1;
  private seq = 0;
  private sender: Socket | null = null;
  private receiver: Socket | null = null;
  private senderPort = 0;
  private pending: PendingProbe | null = null;
  /** Where requests go: the listening port, or a worker's probe intake (setTargetPort). */
  private targetPort: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: SelfProbeOptions) {
    const nonce = randomBytes(8);
    this.eniId = nonce.readBigUInt64BE(0);
    this.eniIdHigh = nonce.readUInt32BE(0);
    this.eniIdLow = nonce.readUInt32BE(4);
    this.plan = planProbeAddresses(opts.listenAddress, opts.worker?.index);
    this.intervalMs = positiveInteger('intervalMs', opts.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
    this.timeoutMs = positiveInteger('timeoutMs', opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
    this.failureThreshold = positiveInteger('failureThreshold', opts.failureThreshold ?? DEFAULT_PROBE_FAILURE_THRESHOLD);
    if (this.timeoutMs >= this.intervalMs) {
      throw new RangeError(`timeoutMs: ${this.timeoutMs} must be less than intervalMs (${this.intervalMs})`);
    }
    this.now = opts.now ?? monotonicMs;
    this.targetPort = opts.listenPort;
  }

  /** Send requests to `port` on the target address instead of the listening port (worker mode). */
  setTargetPort(port: number): void {
    this.targetPort = port;
  }

  /** Bind the probe's sockets. Rejects with a message naming the address on failure. */
  async open(): Promise<void> {
    const { source, replyViaListeningSocket } = this.plan;
    const listenPort = this.opts.listenPort;
    // Nothing should arrive at the sender (S:p); if something does, it is a reply to the wrong port.
    this.sender = await bindProbeSocket(source, 0, (msg, r) => this.onReply(msg, r.address, r.port, this.senderPort), this.onSocketError, false);
    this.senderPort = this.sender.address().port;
    if (replyViaListeningSocket) return; // the data plane passes replies to onReply()
    try {
      const onMessage = (msg: Buffer, r: RemoteInfo): void => this.onReply(msg, r.address, r.port, listenPort);
      // Workers' listening sockets use SO_REUSEPORT; binding S:A beside a wildcard *:A then needs it too.
      this.receiver = await bindProbeSocket(source, listenPort, onMessage, this.onSocketError, this.opts.worker !== undefined);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** open(), send the first probe at once, then one every intervalMs. */
  async start(): Promise<void> {
    await this.open();
    this.run();
  }

  /** After open(): send the first probe at once, then one every intervalMs. */
  run(): void {
    if (this.timer !== null) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  get sourcePort(): number {
    return this.senderPort;
  }

  get consecutiveFailures(): number {
    return this._consecutiveFailures;
  }

  /** Send one probe (or return the one in flight) and resolve with its outcome. */
  runOnce(): Promise<ProbeOutcome> {
    if (this.pending) return this.pending.done;
    const sender = this.sender;
    if (sender === null) return Promise.reject(new Error('self-probe is not open'));
    const seq = this.seq = (this.seq + 1) >>> 0;
    const packet = buildProbePacket(this.eniId, seq);
    let resolve!: (o: ProbeOutcome) => void;
    const done = new Promise<ProbeOutcome>((r) => (resolve = r));
    const timer = setTimeout(() => this.finish('timeout', this.timeoutDetail()), this.timeoutMs);
    timer.unref();
    const pending: PendingProbe = { seq, packet, resolve, done, timer, problem: '' };
    this.pending = pending;
    const onSent = (err: Error | null): void => {
      if (err) pending.problem = `send failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
    };
    try {
      sender.send(packet, this.targetPort, this.plan.target, onSent);
    } catch (err) {
      onSent(err as Error);
    }
    return done;
  }

  /** The reason /healthz is 503, or null while the data path answers. */
  failure(): string | null {
    if (this._consecutiveFailures < this.failureThreshold) return null;
    return `data path self-probe failed: the last ${this._consecutiveFailures} probes got no correct reply ` +
      `within ${this.timeoutMs} ms (last: ${this.lastFailure})`;
  }

  /** Seconds since the last correct reply; Infinity before the first. */
  lastSuccessAgeSeconds(): number {
    return this.lastSuccessAt < 0 ? Infinity : (this.now() - this.lastSuccessAt) / 1000;
  }

  isRequestSource(address: string, port: number): boolean {
    return port === this.senderPort && address === this.plan.source;
  }

  /**
   * A datagram for the probe that arrived at local port `arrivedAtPort`: from the probe's own
   * sockets, or from the data plane when it came back to the listening socket (--listen 0.0.0.0).
   */
  onReply(msg: Buffer, address: string, port: number, arrivedAtPort: number = this.opts.listenPort): void {
    const p = this.pending;
    if (p === null) return; // a late reply of a probe that already timed out
    const seq = probeSeq(msg);
    if (seq >= 0 && seq !== p.seq && msg.equals(buildProbePacket(this.eniId, seq))) return; // late, earlier probe
    if (!msg.equals(p.packet)) {
      this.finish('mismatch', `reply differs from the probe: ${describeDifference(msg, p.packet)}`);
      return;
    }
    const { target } = this.plan;
    const listenPort = this.opts.listenPort;
    const keepsSourcePort = this.opts.replyMode === 'bound-port';
    const expectedPort = keepsSourcePort ? this.senderPort : listenPort;
    if (address !== target || port !== expectedPort || arrivedAtPort !== listenPort) {
      const notKept = keepsSourcePort && port !== expectedPort ? ' (GWLB source port not kept)' : '';
      this.finish('mismatch', `reply came from ${address}:${port} to port ${arrivedAtPort}, ` +
        `expected ${target}:${expectedPort} to port ${listenPort}${notKept}`);
      return;
    }
    this.finish('ok', '');
  }

  onDropped(reason: number): void {
    if (this.pending) this.pending.problem = `the agent dropped it: ${DROP_REASON_NAMES[reason] ?? reason}`;
  }

  /** Stop probing and close the sockets. A probe in flight resolves as a timeout without being counted. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.resolve({ result: 'timeout', detail: 'self-probe closed' });
    }
    const sockets = [this.sender, this.receiver];
    this.sender = null;
    this.receiver = null;
    await Promise.all(sockets.map((s) => (s ? closeQuietly(s) : undefined)));
  }

  /** An error event on a probe socket after bind: the probe in flight reports it when it times out. */
  private readonly onSocketError = (err: Error): void => {
    this.socketErrors++;
    if (this.pending) this.pending.problem = `probe socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
  };

  private timeoutDetail(): string {
    const problem = this.pending?.problem;
    return `no reply within ${this.timeoutMs} ms${problem ? ` (${problem})` : ''}`;
  }

  private finish(result: ProbeResult, detail: string): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    clearTimeout(p.timer);
    this.results[result]++;
    if (result === 'ok') {
      this._consecutiveFailures = 0;
      this.lastSuccessAt = this.now();
    } else {
      this._consecutiveFailures++;
      this.lastFailure = `${result}: ${detail}`;
    }
    p.resolve({ result, detail });
  }
}

function bindProbeSocket(
  address: string,
  port: number,
  onMessage: (msg: Buffer, r: RemoteInfo) => void,
  onError: (err: Error) => void,
  reusePort: boolean,
): Promise<Socket> {
  const socket = createUdp4Socket(reusePort);
  return new Promise((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException): void => {
      void closeQuietly(socket);
      reject(new Error(`self-probe cannot bind UDP ${address}:${port}: ${err.code ?? err.message}`));
    };
    socket.once('error', onBindError);
    socket.bind({ address, port, exclusive: !reusePort }, () => {
      socket.off('error', onBindError);
      socket.on('error', onError);
      socket.on('message', onMessage);
      socket.unref();
      resolve(socket);
    });
  });
}

function closeQuietly(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
