/**
 * The GWLB data path of the sim: tun -> GENEVE -> target, and target -> checks -> tun.
 *
 * Every flow (direction-independent 5-tuple) gets a random flow cookie, an outer UDP source port
 * derived from its 5-tuple and a target chosen by the stickiness hash among the healthy targets.
 * A returned datagram must come from the flow's target, from the port the sim sent from, to the
 * GENEVE port, with the same GENEVE header and an inner packet identical to one in flight.
 */
import * as dgram from 'node:dgram';
import { decodeInto, GeneveView } from '../agent/geneve';
import { SimConfig } from './config';
import { SimCounters, Violation } from './counters';
import { FlowTable } from './flow-table';
import { flowKey, hashString, sourcePortFor, stickinessKey } from './flow-hash';
import { isLinkScoped, parseInner } from './inner';
import { SentLedger } from './ledger';
import { SimLog } from './log';
import { Target, TargetGroup, TargetHealth } from './targets';

/** Where returned inner packets go (the tun device). */
export interface PacketSink {
  write(buf: Buffer, offset: number, length: number): void;
}

/** Receive buffer asked for on the reply socket. */
const REPLY_RECV_BUFFER = 4 * 1024 * 1024;

export class Dataplane {
  readonly counters = new SimCounters();
  readonly flows: FlowTable;
  private readonly ledger = new SentLedger();
  private readonly view = new GeneveView();
  private readonly sockets = new Map<number, dgram.Socket>();
  private replySocket?: dgram.Socket;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: SimConfig,
    private readonly targets: TargetGroup,
    private readonly sink: PacketSink,
    private readonly log: SimLog,
    private readonly now: () => number = Date.now,
  ) {
    this.flows = new FlowTable(config, config.tcpIdleMs, config.otherIdleMs);
    targets.onHealthChange((t) => {
      if (t.health === TargetHealth.UNHEALTHY && config.rebalance) this.rebalance(t);
    });
  }

  /** Binds the reply socket (local:genevePort); resolves when it listens. */
  async start(): Promise<void> {
    this.replySocket = await this.bind(this.config.genevePort);
    this.sweepTimer = setInterval(() => {
      const n = this.flows.sweep(this.now());
      if (n > 0) this.log.debug('flows expired', { count: n, active: this.flows.size });
    }, 1000);
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.replySocket?.close();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  /** One packet read from the tun device (`buf` is reused after this returns). */
  fromTun(buf: Buffer, length: number): void {
    const c = this.counters;
    c.tunPackets++;
    c.tunBytes += length;
    const tuple = parseInner(buf, length);
    if (typeof tuple === 'string') {
      c.innerUnparsed++;
      this.log.debug('tun packet not forwarded', { reason: tuple });
      return;
    }
    if (isLinkScoped(tuple)) {
      c.linkScoped++;
      return;
    }
    const now = this.now();
    const key = flowKey(tuple);
    let flow = this.flows.get(key);
    if (!flow) {
      const stickyHash = hashString(stickinessKey(tuple, this.config.stickiness));
      const target = this.targets.choose(stickyHash);
      const port = sourcePortFor(key, this.config.sourcePortMin, this.config.sourcePortMax);
      flow = this.flows.create(key, tuple, target, port, stickyHash, now);
      this.log.debug('flow created', { flow: flow.describe(), cookie: hex32(flow.cookie), target: target.name, sourcePort: port });
    }
    flow.lastSeen = now;
    const hl = flow.header.length;
    const out = Buffer.allocUnsafe(hl + length);
    flow.header.copy(out, 0);
    buf.copy(out, hl, 0, length);
    this.ledger.add(SentLedger.digest(flow.cookie, out, hl, out.length));
    const target = flow.target;
    flow.packetsSent++;
    target.packetsSent++;
    c.encapSent++;
    this.socketFor(flow.sourcePort).send(out, target.port, target.address, (err) => {
      if (!err) return;
      c.sendErrors++;
      this.log.warn('send to target failed', { target: target.name, error: err.message });
    });
  }

  /** One datagram received on local port `localPort` from a target. */
  fromTarget(msg: Buffer, from: dgram.RemoteInfo, localPort: number): void {
    const c = this.counters;
    c.returned++;
    const v = this.view;
    if (decodeInto(msg, 0, msg.length, v) !== 0) {
      this.reject(Violation.MALFORMED, from, `GENEVE decode failed at byte ${v.errorOffset}`);
      return;
    }
    const flow = this.flows.byCookie.get(v.flowCookie);
    if (!flow) {
      this.reject(Violation.UNKNOWN_FLOW, from, `cookie ${hex32(v.flowCookie)}`);
      return;
    }
    const hl = flow.header.length;
    let broken: Violation | undefined;
    const note = (violation: Violation, detail: string): void => {
      c.violation(violation);
      broken ??= violation;
      this.log.debug('return violation', { violation, flow: flow.describe(), from: `${from.address}:${from.port}`, detail });
    };
    if (v.headerLength !== hl || msg.compare(flow.header, 0, hl, 0, hl) !== 0) {
      note(Violation.HEADER_MISMATCH, `header ${msg.toString('hex', 0, Math.min(v.headerLength, 64))}`);
    }
    if (!this.ledger.take(SentLedger.digest(flow.cookie, msg, hl, msg.length))) {
      note(Violation.INNER_MISMATCH, `${msg.length - hl} inner bytes`);
    }
    const source = flow.target.address === from.address ? flow.target : [...flow.allowedTargets].find((t) => t.address === from.address);
    if (!source) note(Violation.WRONG_SOURCE_ADDRESS, `expected ${flow.target.address}`);
    if (from.port !== flow.sourcePort) note(Violation.WRONG_SOURCE_PORT, `expected ${flow.sourcePort}`);
    if (localPort !== this.config.genevePort) note(Violation.WRONG_DESTINATION_PORT, `arrived on ${localPort}`);
    if (broken && this.config.strict) {
      c.returnDropped++;
      return;
    }
    flow.lastSeen = this.now();
    flow.packetsReturned++;
    flow.returnedFrom.set(from.address, (flow.returnedFrom.get(from.address) ?? 0) + 1);
    if (source) source.packetsReturned++;
    try {
      this.sink.write(msg, hl, msg.length - hl);
      c.delivered++;
      c.deliveredBytes += msg.length - hl;
    } catch (err) {
      c.tunWriteErrors++;
      this.log.warn('tun write failed', { flow: flow.describe(), error: (err as Error).message });
    }
  }

  private reject(violation: Violation, from: dgram.RemoteInfo, detail: string): void {
    this.counters.violation(violation);
    this.counters.returnDropped++;
    this.log.debug('return dropped', { violation, from: `${from.address}:${from.port}`, detail });
  }

  /** Moves the flows of `from` (now unhealthy) to healthy targets. */
  private rebalance(from: Target): void {
    let moved = 0;
    for (const flow of this.flows.byKey.values()) {
      if (flow.target !== from) continue;
      const to = this.targets.choose(flow.stickyHash, from);
      if (to === from) continue;
      this.flows.move(flow, to);
      moved++;
    }
    this.counters.flowsRebalanced += moved;
    this.log.info('flows rebalanced', { from: from.name, moved });
  }

  private socketFor(port: number): dgram.Socket {
    let s = this.sockets.get(port);
    if (!s) {
      s = this.createSocket(port);
      s.bind({ address: this.config.localAddress, port, exclusive: true });
      this.sockets.set(port, s);
    }
    return s;
  }

  private createSocket(port: number): dgram.Socket {
    const s = dgram.createSocket({ type: 'udp4' });
    s.on('message', (msg, from) => this.fromTarget(msg, from, port));
    s.on('error', (err) => {
      // A socket that failed (e.g. to bind) is dropped so the next packet of the port retries.
      this.counters.sendErrors++;
      this.log.error('udp socket error', { port, error: err.message });
      if (this.sockets.get(port) === s) this.sockets.delete(port);
      s.close();
    });
    return s;
  }

  private bind(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      // Every reply of every flow lands here: a large buffer absorbs bursts (capped by net.core.rmem_max).
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: REPLY_RECV_BUFFER });
      s.once('error', (err) => reject(new Error(`cannot bind UDP ${this.config.localAddress}:${port}: ${err.message}`)));
      s.bind({ address: this.config.localAddress, port, exclusive: true }, () => {
        s.removeAllListeners('error');
        s.on('error', (err) => this.log.error('udp socket error', { port, error: err.message }));
        s.on('message', (msg, from) => this.fromTarget(msg, from, port));
        resolve(s);
      });
    });
  }
}

export function hex32(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}
