/**
 * The data plane: one UDP socket receives GENEVE from the GWLB, the inspector
 * decides, and allowed payloads go back unchanged through the Replier.
 *
 * Hot path (onMessage): count, inspect, reply. No allocation of our own (node
 * allocates msg and rinfo), no closure, callback or tick per packet (see
 * udp-send.ts), no logging, never throws.
 *
 * Self-probe packets (see self-probe.ts and ProbeEndpoint) take the same socket,
 * the same inspector and the same replier, but are counted in `probeMetrics` and
 * `probeVerdicts` instead of the customer counters, and are exempt from policy.
 *
 * Several workers (workers.ts): each worker thread runs one Dataplane whose listening socket has
 * SO_REUSEPORT (`reusePort`), so the kernel spreads GENEVE datagrams over the workers by a hash of
 * the outer 4-tuple. Correctness does not depend on which worker gets a packet: flow blocks are
 * shared (shared-blocks.ts), the policy is the same in every worker, and reply sockets are bound
 * with SO_REUSEPORT too, so any worker can reply from any GWLB source port. Each worker's
 * self-probe reaches that worker through a probe intake socket of its own (an ephemeral port
 * connected to the probe's source; the kernel's hashed choice of listening socket cannot be
 * steered, and a connected socket in the listening port's SO_REUSEPORT group splits the group
 * when sockets bind after it): the probe covers the worker's thread, inspector and replier, and
 * the listening socket's state is checked with the rest of /healthz.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { BatchHost, BatchPlane, IoChoice } from './batch-dataplane';
import type { IoMode } from './batch-io';
import type { ReplyMode } from './cli';
import { DROP_REASON_COUNT, DropReason } from './drop-reasons';
import { decodeInto, GeneveView } from './geneve';
import { AgentMetrics } from './metrics';
import { isOtherEniAtUsualPlace, isProbeSource, ProbeEndpoint } from './probe-packet';
import { BoundPortReplier, DEFAULT_MAX_REPLY_SOCKETS } from './reply-bound-port';
import { isLoopbackIPv4, ReplyContext, Replier, SendTracker } from './reply-common';
import { ListenSocketReplier } from './reply-dgram';
import { createUdp4Socket } from './reuse-port';
import { SendPathChoice, SendPathName, selectSendPath } from './udp-send';

/** The part of the core's Inspector the data plane uses. */
export interface PacketInspector {
  inspect(buf: Buffer, offset: number, length: number): number;
}

/** Largest GENEVE UDP payload: 8500-byte inner packet + 40-byte GENEVE header, with room to spare. */
export const MAX_GENEVE_PAYLOAD = 8540;
/** Requested socket buffer sizes; the kernel caps them at net.core.rmem_max / wmem_max. */
export const RECV_BUFFER_BYTES = 8 * 1024 * 1024;
export const SEND_BUFFER_BYTES = 4 * 1024 * 1024;

export interface DataplaneOptions {
  readonly listen: string;
  readonly port: number;
  readonly replyMode: ReplyMode;
  /** @default 16384 */
  readonly maxReplySockets?: number;
  /** Rate-limited warning sink. */
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  /** Preferred send path (udp-send.ts); native falls back to dgram by itself. @default 'native' */
  readonly sendPath?: SendPathName;
  /** SO_REUSEPORT on the listening and reply sockets (one Dataplane per worker). @default false */
  readonly reusePort?: boolean;
  /** Native batch I/O (batch-dataplane.ts): auto falls back to the dgram path by itself. @default 'js' */
  readonly io?: IoMode;
}

export type { ProbeEndpoint } from './probe-packet';
export { isOtherEniAtUsualPlace, isProbeSource } from './probe-packet';

export interface SocketBufferSizes {
  readonly recv: number;
  readonly send: number;
}

export class Dataplane {
  readonly sender: SendTracker;
  /** Self-probe traffic: requests in, replies out (never in `metrics`). */
  readonly probeMetrics = new AgentMetrics();
  readonly probeSender = new SendTracker(this.probeMetrics);
  /** Inspector verdicts of probe requests, indexed by DropReason (the inspector counted them too). */
  readonly probeVerdicts = new Float64Array(DROP_REASON_COUNT);
  private socket: Socket | null = null;
  private intake: Socket | null = null;
  private replier: Replier | null = null;
  private bound = false;
  private probe: ProbeEndpoint | null = null;
  private readonly probeView = new GeneveView();
  private inProbe = false;
  private sendPathChoice: SendPathChoice | null = null;
  /** Native batch I/O, when it took the listening socket. */
  private batch: BatchPlane | null = null;
  private ioChoice: IoChoice | null = null;

  constructor(
    private readonly opts: DataplaneOptions,
    private readonly inspector: PacketInspector,
    readonly metrics: AgentMetrics = new AgentMetrics(),
  ) {
    this.sender = new SendTracker(metrics);
  }

  /** Choose the send path, then bind the listening socket. Rejects with a message naming the address on failure. */
  async start(): Promise<SocketBufferSizes> {
    const choice = await selectSendPath(this.opts.sendPath ?? 'native');
    this.sender.sendPath = choice.path;
    this.probeSender.sendPath = choice.path;
    this.sendPathChoice = choice;
    return this.bindListening();
  }

  /** How replies are sent (null before start). */
  get sendPath(): SendPathChoice | null {
    return this.sendPathChoice;
  }

  private bindListening(): Promise<SocketBufferSizes> {
    const socket = createUdp4Socket(this.opts.reusePort === true);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const onBindError = (err: NodeJS.ErrnoException): void => {
        this.socket = null;
        try { socket.close(); } catch { /* never bound */ }
        reject(new Error(`cannot bind UDP ${this.opts.listen}:${this.opts.port}: ${err.code ?? err.message}`));
      };
      socket.once('error', onBindError);
      socket.bind({ port: this.opts.port, address: this.opts.listen, exclusive: true }, () => {
        socket.off('error', onBindError);
        socket.on('error', this.onSocketError);
        socket.on('close', this.onClose);
        const sizes = this.setBufferSizes(socket);
        this.replier = this.createReplier(socket);
        try {
          this.attachIo(socket);
        } catch (err) {
          this.socket = null;
          try { socket.close(); } catch { /* closing anyway */ }
          reject(err);
          return;
        }
        this.bound = true;
        resolve(sizes);
      });
    });
  }

  /**
   * Worker mode: a socket of this worker's own on `bindAddress` (the probe's target address) and an
   * ephemeral port, connected to the self-probe's request source, so only that probe's requests
   * arrive on it and they reach this worker. Resolves with its port.
   */
  openProbeIntake(bindAddress: string, address: string, port: number): Promise<number> {
    const socket = createUdp4Socket(false);
    return new Promise((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException): void => {
        try { socket.close(); } catch { /* never bound */ }
        reject(new Error(`cannot open the self-probe intake on UDP ${bindAddress} for ${address}:${port}: ${err.code ?? err.message}`));
      };
      socket.once('error', fail);
      socket.bind({ port: 0, address: bindAddress, exclusive: true }, () => {
        socket.connect(port, address, () => {
          socket.off('error', fail);
          socket.on('error', this.onSocketError);
          try {
            if (this.batch !== null) this.batch.watch(socket, this.socket as Socket, false);
            else socket.on('message', this.onMessage);
          } catch (err) {
            fail(err as NodeJS.ErrnoException);
            return;
          }
          socket.unref();
          this.intake = socket;
          resolve(socket.address().port);
        });
      });
    });
  }

  /** Route self-probe packets (null: none). */
  attachProbe(probe: ProbeEndpoint | null): void {
    this.probe = probe;
  }

  /** True while the inspector runs on a probe request (its policy callbacks are not customer drops). */
  get inspectingProbe(): boolean {
    return this.inProbe;
  }

  /** Hot path: one GENEVE datagram from the GWLB. */
  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    // One branch for GWLB traffic: its source is never in 127/8.
    if (this.probe !== null && isLoopbackIPv4(rinfo.address) && this.isProbePacket(msg, rinfo.address)) {
      try {
        this.onProbePacket(msg, rinfo);
      } catch {
        this.probeMetrics.internalErrors++; // a bug in the probe must not take the process down
      }
      return;
    }
    const m = this.metrics;
    m.packetsIn++;
    m.bytesIn += msg.length;
    let verdict: number;
    try {
      verdict = this.inspector.inspect(msg, 0, msg.length);
    } catch {
      m.internalErrors++;
      return;
    }
    if (verdict !== 0) return; // dropped; the inspector counted the reason
    try {
      (this.replier as Replier).reply(msg, rinfo.address, rinfo.port, this.sender);
    } catch {
      m.internalErrors++; // repliers do not throw; this guards the process against a bug
    }
  };

  private isProbePacket(msg: Buffer, address: string, v: GeneveView = this.probeView): boolean {
    const probe = this.probe as ProbeEndpoint;
    if (isOtherEniAtUsualPlace(msg, probe)) return false; // the common case, without a second decode
    if (decodeInto(msg, 0, msg.length, v) !== DropReason.NONE) return false; // the inspector will count it
    return isProbeSource(address, v.eniIdHigh, v.eniIdLow, probe);
  }

  /** A probe request goes through the real inspector and replier; policy verdicts are waived. */
  private onProbePacket(msg: Buffer, rinfo: RemoteInfo): void {
    const probe = this.probe as ProbeEndpoint;
    if (!probe.isRequestSource(rinfo.address, rinfo.port)) {
      probe.onReply(msg, rinfo.address, rinfo.port);
      return;
    }
    const pm = this.probeMetrics;
    pm.packetsIn++;
    pm.bytesIn += msg.length;
    let verdict: number;
    this.inProbe = true;
    try {
      verdict = this.inspector.inspect(msg, 0, msg.length);
      this.probeVerdicts[verdict]++;
    } catch {
      pm.internalErrors++;
      verdict = DropReason.INTERNAL_ERROR;
    } finally {
      this.inProbe = false;
    }
    if (verdict !== DropReason.NONE && verdict !== DropReason.POLICY && verdict !== DropReason.FLOW_BLOCKED) {
      probe.onDropped(verdict);
      return;
    }
    (this.replier as Replier).reply(msg, rinfo.address, rinfo.port, this.probeSender);
  }

  /** Native batch I/O on the listening socket as opts.io asks, else node's 'message' events. Throws for --io native. */
  private attachIo(socket: Socket): void {
    const o = this.opts;
    const host: BatchHost = {
      inspector: this.inspector, metrics: this.metrics, sender: this.sender, probeMetrics: this.probeMetrics,
      probeSender: this.probeSender, probeVerdicts: this.probeVerdicts, warn: o.warn,
      probe: () => this.probe,
      setInspectingProbe: (on) => { this.inProbe = on; },
      isProbePacket: (msg, address, view) => this.isProbePacket(msg, address, view),
    };
    const r = BatchPlane.attach(socket, host, {
      io: o.io ?? 'js', listenAddress: o.listen, listenPort: socket.address().port, replyMode: o.replyMode,
      reusePort: o.reusePort === true, maxSockets: o.maxReplySockets ?? DEFAULT_MAX_REPLY_SOCKETS,
    });
    if (r instanceof BatchPlane) {
      this.batch = r;
      this.ioChoice = r.choice;
    } else {
      this.ioChoice = r;
      socket.on('message', this.onMessage);
    }
  }

  /** The I/O path (null before start): native batch I/O or node's dgram, and why. */
  get io(): IoChoice | null {
    return this.ioChoice;
  }

  /** Fold native I/O counters into the metrics (nothing to do on the dgram path). */
  syncCounters(): void {
    if (this.batch !== null) this.batch.sync();
  }

  private readonly onSocketError = (err: Error): void => {
    this.metrics.socketErrors++;
    this.opts.warn('error on the listening socket', { error: err });
  };

  private readonly onClose = (): void => {
    this.bound = false;
  };

  private createReplier(main: Socket): Replier {
    const ctx: ReplyContext = {
      main,
      listenAddress: this.opts.listen,
      listenPort: main.address().port,
      metrics: this.metrics,
      warn: this.opts.warn,
    };
    if (this.opts.replyMode === 'dgram') return new ListenSocketReplier(ctx);
    return new BoundPortReplier(ctx, {
      maxSockets: this.opts.maxReplySockets ?? DEFAULT_MAX_REPLY_SOCKETS, reusePort: this.opts.reusePort === true,
    });
  }

  private setBufferSizes(socket: Socket): SocketBufferSizes {
    // Best effort: the kernel silently caps at rmem_max/wmem_max; 8568-byte
    // datagrams fit in the defaults, larger buffers absorb bursts.
    try { socket.setRecvBufferSize(RECV_BUFFER_BYTES); } catch { /* keep the default */ }
    try { socket.setSendBufferSize(SEND_BUFFER_BYTES); } catch { /* keep the default */ }
    try {
      return { recv: socket.getRecvBufferSize(), send: socket.getSendBufferSize() };
    } catch {
      return { recv: 0, send: 0 };
    }
  }

  isBound(): boolean {
    return this.bound;
  }

  /** The listening socket is open and (in bound-port mode) the reply cache is live. */
  replyPathOpen(): boolean {
    return this.bound && this.replier !== null;
  }

  get replySockets(): number {
    return (this.replier ? this.replier.openSockets : 0) + (this.batch ? this.batch.openSockets : 0);
  }

  /** Timer housekeeping (retry failed reply binds). */
  sweep(nowMs: number = Date.now()): void {
    if (this.replier) this.replier.sweep(nowMs);
    if (this.batch) this.batch.sweep(nowMs);
  }

  /** Local address of the listening socket (port 0 resolves here). */
  address(): { address: string; port: number } | null {
    try {
      return this.socket ? this.socket.address() : null;
    } catch {
      return null;
    }
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    const batch = this.batch;
    this.batch = null;
    if (batch) batch.close(); // before the sockets: it holds duplicates of their descriptors
    const intake = this.intake;
    this.intake = null;
    if (intake) {
      try { intake.close(); } catch { /* already closed */ }
    }
    if (this.replier) this.replier.close();
    this.replier = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
