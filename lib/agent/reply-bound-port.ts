/**
 * Reply mode `bound-port` (default): keep BOTH outer UDP ports of the GWLB's
 * packet. GWLB sends from (gwlbAddress, P) to (us, 6081); the reply must go from
 * (us, P) to (gwlbAddress, 6081), i.e. addresses swapped, ports unchanged.
 *
 * How: for each (GWLB address, source port P) we open one dgram socket bound to
 * (listen address, P) and connected to (GWLB address, listen port), and send the
 * unchanged GENEVE payload on it. Sockets are cached in a bounded LRU.
 *
 * Why this design and not a raw socket:
 * - It is pure JavaScript on node's dgram: the same bundle runs on x86_64 and
 *   arm64 (Graviton) instances with no compiler or native build on the instance.
 * - Writing our own outer IPv4/UDP header needs a raw socket with IP_HDRINCL,
 *   which node cannot open without a native addon (npm `raw-socket`), i.e. a
 *   per-architecture build and a C++ toolchain at install time.
 * - The wire result is what AWS's reference handler (gwlbtun) produces: addresses
 *   swapped, both ports kept. gwlbtun gets there with an IPPROTO_RAW socket in
 *   C++; a per-port bound UDP socket is the way to the same packet without a
 *   native addon (the kernel writes the same IPv4/UDP header for us).
 * - Connected sockets also make each send cheaper (no per-packet address lookup).
 *
 * Bind address: the listen address, except that with --listen 0.0.0.0 a reply to
 * a loopback peer (only the self-probe; a GWLB never sends from 127/8) binds
 * 127.0.0.1, the source the kernel would pick for it anyway. A wildcard bind of
 * P would collide with the probe's own socket on (127.x, P); see self-probe.ts.
 *
 * If P cannot be bound (EADDRINUSE: another local socket holds it; EMFILE...),
 * replies for that (address, P) fall back to the listening socket (source port =
 * listening port), are counted in gwlb_agent_reply_ports_not_kept_total, and the
 * bind is retried after FAILED_RETRY_MS. Nothing here throws on a packet.
 */
import type { Socket } from 'node:dgram';
import { isLoopbackIPv4, ReplyContext, Replier, SendTracker } from './reply-common';
import { LruList, LruNode } from './reply-lru';
import { createUdp4Socket } from './reuse-port';

const BINDING = 0;
const READY = 1;
const FAILED = 2;

/** Packets held per socket while it binds/connects (two event-loop ticks). */
export const MAX_PENDING = 256;
/** A failed bind is retried by the next packet after this long. */
export const FAILED_RETRY_MS = 30_000;
/** Default size of the socket cache. */
export const DEFAULT_MAX_REPLY_SOCKETS = 16_384;
/** Where replies to loopback peers are bound when listening on the wildcard address. */
export const LOOPBACK_REPLY_ADDRESS = '127.0.0.1';

/** Local address a reply socket for `peer` binds (see the file comment). */
export function replyBindAddress(listenAddress: string, peer: string): string {
  return listenAddress === '0.0.0.0' && isLoopbackIPv4(peer) ? LOOPBACK_REPLY_ADDRESS : listenAddress;
}

class ReplyEntry implements LruNode<ReplyEntry> {
  prev: ReplyEntry | null = null;
  next: ReplyEntry | null = null;
  state = BINDING;
  socket: Socket | null = null;
  pending: Buffer[] = [];
  /** The tracker of each pending packet (same index). */
  pendingSenders: SendTracker[] = [];
  failedAt = 0;
  constructor(
    readonly address: string,
    readonly port: number,
    readonly table: Map<number, ReplyEntry>,
  ) {}
}

export interface BoundPortReplierOptions {
  /** Most reply sockets kept open; the least recently used is closed beyond it. @default 16384 */
  readonly maxSockets?: number;
  /** Millisecond clock. @default Date.now */
  readonly now?: () => number;
  /**
   * Bind reply sockets with SO_REUSEPORT (several workers): when the kernel moves a GWLB source
   * port from one worker to another (a worker restarted), both can hold a reply socket for it.
   * @default false
   */
  readonly reusePort?: boolean;
}

export class BoundPortReplier implements Replier {
  private readonly tables = new Map<string, Map<number, ReplyEntry>>();
  private readonly lru = new LruList<ReplyEntry>();
  private readonly maxSockets: number;
  private readonly now: () => number;
  private readonly reusePort: boolean;
  private lastAddress = '';
  private lastTable: Map<number, ReplyEntry> | null = null;
  private sockets = 0;
  private closed = false;

  constructor(private readonly ctx: ReplyContext, opts: BoundPortReplierOptions = {}) {
    this.maxSockets = opts.maxSockets ?? DEFAULT_MAX_REPLY_SOCKETS;
    if (!Number.isInteger(this.maxSockets) || this.maxSockets < 1) {
      throw new Error(`maxSockets: ${this.maxSockets} must be a positive integer`);
    }
    this.now = opts.now ?? Date.now;
    this.reusePort = opts.reusePort ?? false;
  }

  get openSockets(): number {
    return this.sockets;
  }

  reply(msg: Buffer, address: string, gwlbPort: number, sender: SendTracker): void {
    const ctx = this.ctx;
    if (gwlbPort === ctx.listenPort || this.closed) {
      // The listening socket already sends from the GWLB's source port.
      if (gwlbPort !== ctx.listenPort) sender.metrics.portsNotKept++;
      sender.sendTo(ctx.main, msg, ctx.listenPort, address);
      return;
    }
    let table = this.lastTable;
    if (address !== this.lastAddress || table === null) {
      table = this.tableFor(address);
      this.lastAddress = address;
      this.lastTable = table;
    }
    let entry = table.get(gwlbPort);
    if (entry === undefined) {
      entry = this.open(address, gwlbPort, table);
    } else {
      this.lru.touch(entry);
    }
    if (entry.state === READY) {
      sender.sendConnected(entry.socket as Socket, msg);
    } else if (entry.state === BINDING) {
      if (entry.pending.length < MAX_PENDING) {
        entry.pending.push(msg);
        entry.pendingSenders.push(sender);
      } else {
        sender.metrics.replyQueueDrops++;
      }
    } else {
      sender.metrics.portsNotKept++;
      sender.sendTo(ctx.main, msg, ctx.listenPort, address);
    }
  }

  /** Forget failed binds older than FAILED_RETRY_MS so the next packet retries. */
  sweep(nowMs: number = this.now()): void {
    const stale: ReplyEntry[] = [];
    for (let e = this.lru.head; e !== null; e = e.next) {
      if (e.state === FAILED && nowMs - e.failedAt >= FAILED_RETRY_MS) stale.push(e);
    }
    for (const e of stale) this.remove(e);
  }

  close(): void {
    this.closed = true;
    for (let e = this.lru.popBack(); e !== null; e = this.lru.popBack()) this.dispose(e);
    this.tables.clear();
    this.lastTable = null;
    this.lastAddress = '';
  }

  private tableFor(address: string): Map<number, ReplyEntry> {
    let table = this.tables.get(address);
    if (table === undefined) {
      table = new Map();
      this.tables.set(address, table);
    }
    return table;
  }

  private open(address: string, port: number, table: Map<number, ReplyEntry>): ReplyEntry {
    const entry = new ReplyEntry(address, port, table);
    table.set(port, entry);
    this.lru.pushFront(entry);
    const socket = createUdp4Socket(this.reusePort);
    entry.socket = socket;
    this.sockets++;
    this.evictBeyondLimit();
    socket.on('error', (err) => this.onSocketError(entry, socket, err));
    try {
      const bindAddress = replyBindAddress(this.ctx.listenAddress, address);
      socket.bind({ port, address: bindAddress, exclusive: !this.reusePort }, () => this.onBound(entry, socket));
      socket.unref();
    } catch (err) {
      this.onSocketError(entry, socket, err as Error);
    }
    return entry;
  }

  private onBound(entry: ReplyEntry, socket: Socket): void {
    if (entry.socket !== socket) return; // evicted while binding
    try {
      socket.connect(this.ctx.listenPort, entry.address, () => this.onConnected(entry, socket));
    } catch (err) {
      this.onSocketError(entry, socket, err as Error);
    }
  }

  private onConnected(entry: ReplyEntry, socket: Socket): void {
    if (entry.socket !== socket || entry.state !== BINDING) return;
    entry.state = READY;
    const { pending, pendingSenders } = this.takePending(entry);
    for (let i = 0; i < pending.length; i++) pendingSenders[i].sendConnected(socket, pending[i]);
  }

  private onSocketError(entry: ReplyEntry, socket: Socket, err: Error): void {
    if (entry.socket !== socket) return; // already replaced or closed
    if (entry.state !== BINDING) {
      // e.g. ECONNREFUSED reported on a connected socket after an ICMP error
      this.ctx.metrics.socketErrors++;
      return;
    }
    this.ctx.metrics.replyBindFailures++;
    this.ctx.warn('cannot bind the GWLB source port; replying from the listening port', {
      gwlb: entry.address, port: entry.port, error: err,
    });
    entry.state = FAILED;
    entry.failedAt = this.now();
    this.closeSocket(entry);
    const { pending, pendingSenders } = this.takePending(entry);
    for (let i = 0; i < pending.length; i++) {
      pendingSenders[i].metrics.portsNotKept++;
      pendingSenders[i].sendTo(this.ctx.main, pending[i], this.ctx.listenPort, entry.address);
    }
  }

  private takePending(entry: ReplyEntry): { pending: Buffer[]; pendingSenders: SendTracker[] } {
    const taken = { pending: entry.pending, pendingSenders: entry.pendingSenders };
    entry.pending = [];
    entry.pendingSenders = [];
    return taken;
  }

  private evictBeyondLimit(): void {
    while (this.sockets > this.maxSockets) {
      const victim = this.lru.tail;
      if (victim === null || victim === this.lru.head) return;
      this.ctx.metrics.replySocketEvictions++;
      this.remove(victim);
    }
  }

  private remove(entry: ReplyEntry): void {
    this.lru.unlink(entry);
    entry.table.delete(entry.port);
    this.dispose(entry);
  }

  private dispose(entry: ReplyEntry): void {
    for (const sender of this.takePending(entry).pendingSenders) sender.metrics.replyQueueDrops++;
    this.closeSocket(entry);
    entry.state = FAILED;
  }

  /** Close the entry's socket, if it has one (BINDING and READY entries do). */
  private closeSocket(entry: ReplyEntry): void {
    const socket = entry.socket;
    entry.socket = null;
    if (socket === null) return;
    this.sockets--;
    try {
      socket.close();
    } catch {
      // already closed: nothing left to release
    }
  }
}
