/**
 * The sim's flow table: one entry per direction-independent 5-tuple, holding the flow cookie,
 * the outer source port, the target and the exact GENEVE header sent for the flow. A flow idles
 * out like on GWLB (TCP 350 s, others 120 s by default); the same 5-tuple later gets a new cookie.
 */
import { randomBytes } from 'node:crypto';
import { awsOptions, encode, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../agent/geneve';
import { formatAddress, InnerTuple, IPPROTO_TCP } from './inner';
import { Target } from './targets';

export class Flow {
  lastSeen: number;
  packetsSent = 0;
  packetsReturned = 0;
  /** Packets returned per outer source address. */
  readonly returnedFrom = new Map<string, number>();
  /** Targets replies may come from: the current one and, after a rebalance, earlier ones. */
  readonly allowedTargets = new Set<Target>();

  constructor(
    readonly key: string,
    readonly cookie: number,
    readonly sourcePort: number,
    public target: Target,
    /** The GENEVE header (base + three AWS options) sent with every packet of the flow. */
    readonly header: Buffer,
    /** Hash of the stickiness key, kept to re-choose a target on rebalance. */
    readonly stickyHash: number,
    /** The first packet's tuple: who opened the flow. */
    readonly first: InnerTuple,
    now: number,
  ) {
    this.lastSeen = now;
    this.allowedTargets.add(target);
  }

  get isTcp(): boolean {
    return this.first.protocol === IPPROTO_TCP;
  }

  describe(): string {
    const f = this.first;
    const sep = f.version === 6 ? ['[', ']'] : ['', ''];
    const end = (a: string, p: number): string => `${sep[0]}${formatAddress(a)}${sep[1]}:${p}`;
    return `${f.protocol} ${end(f.src, f.srcPort)} > ${end(f.dst, f.dstPort)}`;
  }
}

export interface FlowIds {
  readonly eniId: bigint;
  readonly attachmentId: bigint;
}

export class FlowTable {
  readonly byKey = new Map<string, Flow>();
  readonly byCookie = new Map<number, Flow>();
  created = 0;
  expired = 0;

  constructor(private readonly ids: FlowIds, private readonly tcpIdleMs: number, private readonly otherIdleMs: number) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Flow | undefined {
    return this.byKey.get(key);
  }

  /** Creates a flow with a fresh cookie (unique among live flows). */
  create(key: string, tuple: InnerTuple, target: Target, sourcePort: number, stickyHash: number, now: number): Flow {
    let cookie = randomBytes(4).readUInt32BE();
    while (this.byCookie.has(cookie)) cookie = randomBytes(4).readUInt32BE();
    const header = encode({
      protocolType: tuple.version === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4,
      options: awsOptions({ eniId: this.ids.eniId, attachmentId: this.ids.attachmentId, flowCookie: cookie }),
    });
    const flow = new Flow(key, cookie, sourcePort, target, header, stickyHash, tuple, now);
    this.byKey.set(key, flow);
    this.byCookie.set(cookie, flow);
    target.flows++;
    target.flowsAssigned++;
    this.created++;
    return flow;
  }

  /** Moves a flow to another target (rebalance); replies from the old one stay accepted. */
  move(flow: Flow, to: Target): void {
    flow.target.flows--;
    flow.target = to;
    flow.allowedTargets.add(to);
    to.flows++;
    to.flowsAssigned++;
  }

  /** Removes flows idle longer than their timeout; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const flow of this.byKey.values()) {
      const idle = flow.isTcp ? this.tcpIdleMs : this.otherIdleMs;
      if (now - flow.lastSeen <= idle) continue;
      this.byKey.delete(flow.key);
      this.byCookie.delete(flow.cookie);
      flow.target.flows--;
      n++;
    }
    this.expired += n;
    return n;
  }
}
