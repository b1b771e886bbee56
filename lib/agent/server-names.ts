/**
 * Per-flow server-name reading: which flows are read, their client stream's first bytes, and
 * the flow's name verdict ({@link FlowName} or the index of the name rule its name matched).
 *
 * - Read flows: TCP to a `tlsPorts`/`httpPorts` port (the stream is sniffed: a TLS handshake
 *   record is read as a ClientHello, anything else as an HTTP/1.x request), UDP to a `quicPorts`
 *   port (QUIC Initial, quic-initial.ts). The client is the sender of the SYN (or the receiver of
 *   a SYN-ACK); for a flow first seen mid-stream, the side talking to the inspected port.
 * - TCP bytes are placed by sequence number relative to the client's SYN (ISN + 1 = offset 0),
 *   or, without a SYN, to the first client segment seen; so reordered and retransmitted segments
 *   land where they belong. A retransmission with other bytes than the first copy is the malformed
 *   verdict (stream-prefix.ts). QUIC CRYPTO frames are placed by their offset.
 * - Bounds, per flow, until its verdict: `maxBytes` of client stream, `maxPackets` packets (both
 *   directions, all of which are forwarded meanwhile), `timeoutMs` since its first packet, and
 *   `maxPendingFlows` flows being read at once. A bound reached before the name is complete gives
 *   the malformed verdict (no bytes at all: the no-name verdict). Nothing is held back.
 * - After a verdict only 9 bytes per flow remain (state, rule, policy generation) plus the name.
 */
import { u32 } from './bytes';
import type { ServerNameSnapshot } from './metrics';
import type { NameDropCounts } from './name-drop-counts';
import { CompiledPolicy, FlowName } from './policy';
import { HttpHostInfo, readHttpHost } from './http-host';
import { ParsedPacket, IPPROTO_TCP, IPPROTO_UDP } from './packet';
import { clientInitialKeys, initialDestinationCid, InitialKeys, InitialStatus, openInitials, QUIC_V1, QUIC_V2 } from './quic-initial';
import { StreamPrefix } from './stream-prefix';
import { ClientHelloInfo, HelloStatus, looksLikeTlsRecord, readClientHelloFromHandshake, readClientHelloFromRecords } from './tls-client-hello';

const STATE_NONE = 0;
const STATE_PENDING = 1;
const STATE_DECIDED = 2;

const TCP_OFF_SEQ = 4;
const TCP_OFF_ACK = 8;
const TCP_OFF_FLAGS = 13;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/** True when `buf[at, end)` starts with a QUIC Initial's long header (v1: type 0b00, v2: type 0b01). */
function startsWithInitial(buf: Buffer, at: number, end: number): boolean {
  if (end - at < 5) return false;
  const top = buf[at] & 0xf0;
  const version = u32(buf, at + 1);
  return (top === 0xc0 && version === QUIC_V1) || (top === 0xd0 && version === QUIC_V2);
}

/** The flow is to be blocked now: the no-name or malformed verdict says drop. */
export const NAME_DROP_NO_NAME = -10;
export const NAME_DROP_MALFORMED = -11;

/** How a flow's name verdict came about (metrics label). */
export enum NameOutcome {
  /** A name was read and matched a name rule. */
  RULE = 0,
  /** A name was read and matched no name rule. */
  NO_RULE = 1,
  /** The flow showed no name (not TLS/HTTP/QUIC, no SNI, no Host, nothing sent in time). */
  NO_NAME = 2,
  /** Malformed, oversize, or not complete within the bounds. */
  MALFORMED = 3,
  /** Too many flows being read at once. */
  PENDING_FULL = 4,
}
export const NAME_OUTCOME_NAMES: readonly string[] = ['name_rule', 'no_name_rule', 'no_name', 'malformed', 'pending_full'];

class PendingFlow {
  readonly client = new Uint32Array(4);
  clientPort = 0;
  /** Stream offset 0 in sequence space; -1 until known. */
  isn = -1;
  packets = 0;
  /** Packets of the client's direction seen here. */
  clientPackets = 0;
  prefix: StreamPrefix | null = null;
  keys: InitialKeys | null = null;
  dcid: Buffer | null = null;
  constructor(readonly quic: boolean, readonly startedAt: number) {}
}

export class ServerNames {
  /** Verdicts by {@link NameOutcome}. */
  readonly outcomes = new Float64Array(NAME_OUTCOME_NAMES.length);
  /** The last malformed handshake's reason (for debugging; not per packet). */
  lastMalformed = '';
  private readonly state: Uint8Array;
  private readonly verdict: Int32Array;
  private readonly generation: Uint32Array;
  private readonly names: (string | undefined)[] = [];
  private readonly pending = new Map<number, PendingFlow>();
  private readonly hello = new ClientHelloInfo();
  private readonly http = new HttpHostInfo();

  /**
   * `othersDecide`: several workers share blocks (workers.ts); a flow whose client direction this
   * worker has not seen is left to the worker that reads it (its drop reaches every worker through
   * the shared block table) instead of being forced to the no-name verdict here.
   */
  constructor(capacity: number, private readonly othersDecide = false) {
    this.state = new Uint8Array(capacity + 1);
    this.verdict = new Int32Array(capacity + 1);
    this.generation = new Uint32Array(capacity + 1);
  }

  /** Flows whose client stream is being read. */
  get pendingFlows(): number {
    return this.pending.size;
  }

  /** The name read for the flow in `slot` (undefined when none). */
  nameOf(slot: number): string | undefined {
    return this.names[slot];
  }

  /**
   * Advances the flow in `slot` with packet `p` and returns its name state for the rule walk,
   * or NAME_DROP_* when the flow is to be blocked now. `created`: the flow table just created or
   * restarted the slot.
   */
  step(slot: number, created: boolean, p: ParsedPacket, buf: Buffer, now: number, policy: CompiledPolicy, generation: number): number {
    const settings = policy.names!;
    // A new connection (a client SYN) on a known flow entry is read afresh: a reused 5-tuple must
    // not inherit the verdict of the connection before it.
    // The same for a QUIC Initial to a QUIC port once the flow is decided (a new connection, or a
    // repeated Initial, which reads the same name again).
    if (created || (p.protocol === IPPROTO_TCP && p.hasL4Header && (buf[p.l4Offset + TCP_OFF_FLAGS] & (TCP_SYN | TCP_ACK)) === TCP_SYN)
      || (this.state[slot] === STATE_DECIDED && p.protocol === IPPROTO_UDP && p.payloadLength > 0 && settings.quicPorts.has(p.dstPort)
        && startsWithInitial(buf, p.payloadOffset, p.payloadOffset + p.payloadLength))) {
      this.begin(slot, p, buf, now, policy, generation);
    }
    const state = this.state[slot];
    if (state === STATE_NONE) return FlowName.NOT_INSPECTED;
    if (state === STATE_DECIDED) {
      const v = this.verdict[slot];
      return v >= 0 && this.generation[slot] !== generation ? FlowName.ALLOWED : v;
    }
    const flow = this.pending.get(slot);
    if (flow === undefined) return this.decideIncomplete(slot, false, policy, generation); // read under a policy without names
    flow.packets++;
    if (this.fromClient(flow, p)) {
      flow.clientPackets++;
      const decided = flow.quic ? this.feedQuic(slot, flow, p, buf, policy, generation) : this.feedTcp(slot, flow, p, buf, policy, generation);
      if (decided !== FlowName.PENDING) return decided;
    }
    if (flow.packets >= settings.maxPackets || now - flow.startedAt >= settings.timeoutMs
      || (flow.prefix !== null && (flow.prefix.overflowed || flow.prefix.tooFragmented))) {
      if (this.othersDecide && flow.clientPackets === 0) return this.decide(slot, FlowName.ALLOWED, generation);
      return this.decideIncomplete(slot, flow.prefix !== null && flow.prefix.heldBytes > 0, policy, generation);
    }
    return FlowName.PENDING;
  }

  /** /metrics figures; undefined while no policy has read names (`active`: the current one does). */
  snapshot(drops: NameDropCounts, active: boolean): ServerNameSnapshot | undefined {
    if (!active && drops.seriesCount === 0 && this.outcomes.every((c) => c === 0)) return undefined;
    return {
      outcomes: NAME_OUTCOME_NAMES.map((outcome, k) => ({ outcome, count: this.outcomes[k] })),
      drops: drops.samples(),
      pendingFlows: this.pending.size,
    };
  }

  /** Forgets the flow in `slot` (a new flow while no policy reads names). */
  clear(slot: number): void {
    if (this.state[slot] === STATE_NONE) return;
    this.state[slot] = STATE_NONE;
    this.names[slot] = undefined;
    this.pending.delete(slot);
  }

  /**
   * Decides the flows being read that are past the timeout without a packet to carry the verdict
   * (as their next packet would: incomplete), so their reading state is freed; the verdict waits
   * in the flow's slot. Without name rules in `policy` (after a reload), forgets them all.
   */
  sweep(now: number, policy: CompiledPolicy, generation: number): void {
    const settings = policy.names;
    for (const [slot, flow] of this.pending) {
      if (settings === null) this.clear(slot);
      else if (now - flow.startedAt < settings.timeoutMs) continue;
      else if (this.othersDecide && flow.clientPackets === 0) this.decide(slot, FlowName.ALLOWED, generation);
      else this.decideIncomplete(slot, flow.prefix !== null && flow.prefix.heldBytes > 0, policy, generation);
    }
  }

  private begin(slot: number, p: ParsedPacket, buf: Buffer, now: number, policy: CompiledPolicy, generation: number): void {
    this.clear(slot);
    this.generation[slot] = generation;
    const settings = policy.names!;
    if (!p.hasL4Header) return;
    let clientIsSender: boolean;
    let quic = false;
    let isn = -1;
    if (p.protocol === IPPROTO_TCP) {
      const flags = buf[p.l4Offset + TCP_OFF_FLAGS];
      if ((flags & TCP_SYN) !== 0) {
        clientIsSender = (flags & TCP_ACK) === 0;
        isn = clientIsSender ? (u32(buf, p.l4Offset + TCP_OFF_SEQ) + 1) >>> 0 : u32(buf, p.l4Offset + TCP_OFF_ACK);
        if (!settings.tcpPorts.has(clientIsSender ? p.dstPort : p.srcPort)) return;
      } else if (settings.tcpPorts.has(p.dstPort)) clientIsSender = true;
      else if (settings.tcpPorts.has(p.srcPort)) clientIsSender = false;
      else return;
    } else if (p.protocol === IPPROTO_UDP) {
      quic = true;
      if (settings.quicPorts.has(p.dstPort)) clientIsSender = true;
      else if (settings.quicPorts.has(p.srcPort)) clientIsSender = false;
      else return;
    } else {
      return;
    }
    if (this.pending.size >= settings.maxPendingFlows) {
      this.outcomes[NameOutcome.PENDING_FULL]++;
      this.decide(slot, settings.malformedAction === 'drop' ? NAME_DROP_MALFORMED : FlowName.ALLOWED, generation);
      return;
    }
    const flow = new PendingFlow(quic, now);
    flow.isn = isn;
    flow.client.set(clientIsSender ? p.src : p.dst);
    flow.clientPort = clientIsSender ? p.srcPort : p.dstPort;
    this.pending.set(slot, flow);
    this.state[slot] = STATE_PENDING;
  }

  private fromClient(flow: PendingFlow, p: ParsedPacket): boolean {
    if (p.srcPort !== flow.clientPort) return false;
    const c = flow.client;
    const s = p.src;
    return s[0] === c[0] && s[1] === c[1] && s[2] === c[2] && s[3] === c[3];
  }

  private prefixOf(flow: PendingFlow, policy: CompiledPolicy): StreamPrefix {
    if (flow.prefix === null) flow.prefix = new StreamPrefix(policy.names!.maxBytes, policy.names!.maxPackets);
    return flow.prefix;
  }

  private feedTcp(slot: number, flow: PendingFlow, p: ParsedPacket, buf: Buffer, policy: CompiledPolicy, generation: number): number {
    const flags = buf[p.l4Offset + TCP_OFF_FLAGS];
    const syn = (flags & TCP_SYN) !== 0;
    let seq = u32(buf, p.l4Offset + TCP_OFF_SEQ);
    if (syn) seq = (seq + 1) >>> 0; // the SYN takes one sequence number; data (TFO) follows it
    if (flow.isn < 0) {
      if (p.payloadLength === 0) return FlowName.PENDING;
      flow.isn = seq;
    }
    if (p.payloadLength === 0) return FlowName.PENDING;
    const offset = (seq - flow.isn) | 0; // signed: a segment from before the ISN is negative
    const prefix = this.prefixOf(flow, policy);
    const grew = prefix.add(offset, buf, p.payloadOffset, p.payloadLength);
    if (prefix.conflict) return this.afterRead(slot, HelloStatus.MALFORMED, null, 'a retransmitted segment carries other bytes', p, buf, policy, generation);
    if (!grew) return FlowName.PENDING;
    const data = prefix.data;
    const maxBytes = policy.names!.maxBytes;
    let status: HelloStatus;
    let name: string | null;
    let reason: string;
    if (looksLikeTlsRecord(data[0])) {
      status = readClientHelloFromRecords(data, prefix.contiguous, maxBytes, this.hello);
      name = this.hello.serverName;
      reason = this.hello.reason;
    } else {
      status = readHttpHost(data, prefix.contiguous, maxBytes, this.http);
      name = this.http.serverName;
      reason = this.http.reason;
    }
    return this.afterRead(slot, status, name, reason, p, buf, policy, generation);
  }

  private feedQuic(slot: number, flow: PendingFlow, p: ParsedPacket, buf: Buffer, policy: CompiledPolicy, generation: number): number {
    const start = p.payloadOffset;
    const end = start + p.payloadLength;
    if (flow.keys === null) {
      const id = initialDestinationCid(buf, start, end);
      if (id === null) return this.afterRead(slot, HelloStatus.NOT_TLS, null, 'first client datagram is not a QUIC Initial', p, buf, policy, generation);
      flow.keys = clientInitialKeys(id.version, id.dcid);
      flow.dcid = id.dcid;
    }
    const prefix = this.prefixOf(flow, policy);
    const onCrypto = (offset: number, data: Buffer, at: number, length: number): void => {
      prefix.add(offset, data, at, length);
    };
    let status = openInitials(buf, start, end, flow.keys, onCrypto);
    if (status === InitialStatus.UNDECRYPTABLE) {
      // After a Retry the client derives new keys from the DCID the server chose.
      const id = initialDestinationCid(buf, start, end);
      if (id !== null && !id.dcid.equals(flow.dcid!)) {
        const keys = clientInitialKeys(id.version, id.dcid);
        status = openInitials(buf, start, end, keys, onCrypto);
        if (status === InitialStatus.OK) { flow.keys = keys; flow.dcid = id.dcid; }
      }
    }
    if (prefix.conflict) return this.afterRead(slot, HelloStatus.MALFORMED, null, 'two CRYPTO frames carry other bytes for one offset', p, buf, policy, generation);
    if (status === InitialStatus.MALFORMED) return this.afterRead(slot, HelloStatus.MALFORMED, null, 'malformed QUIC Initial', p, buf, policy, generation);
    if (status !== InitialStatus.OK || prefix.contiguous === 0) return FlowName.PENDING;
    const read = readClientHelloFromHandshake(prefix.data, prefix.contiguous, policy.names!.maxBytes, this.hello);
    return this.afterRead(slot, read, this.hello.serverName, this.hello.reason, p, buf, policy, generation);
  }

  private afterRead(slot: number, status: HelloStatus, name: string | null, reason: string, p: ParsedPacket, buf: Buffer,
    policy: CompiledPolicy, generation: number): number {
    if (status === HelloStatus.NEED_MORE) return FlowName.PENDING;
    if (status === HelloStatus.MALFORMED || status === HelloStatus.OVERSIZE) {
      this.lastMalformed = reason;
      return this.decideMalformed(slot, policy, generation);
    }
    if (status === HelloStatus.NOT_TLS || name === null) return this.decideNoName(slot, policy, generation);
    this.names[slot] = name;
    const rule = policy.matchName(name, p, buf);
    this.outcomes[rule >= 0 ? NameOutcome.RULE : NameOutcome.NO_RULE]++;
    return this.decide(slot, rule >= 0 ? rule : FlowName.NO_MATCH, generation);
  }

  private decideIncomplete(slot: number, sawBytes: boolean, policy: CompiledPolicy, generation: number): number {
    if (sawBytes) {
      this.lastMalformed = 'handshake not complete within the reassembly bounds';
      return this.decideMalformed(slot, policy, generation);
    }
    return this.decideNoName(slot, policy, generation);
  }

  private decideMalformed(slot: number, policy: CompiledPolicy, generation: number): number {
    this.outcomes[NameOutcome.MALFORMED]++;
    return this.decide(slot, policy.names!.malformedAction === 'drop' ? NAME_DROP_MALFORMED : FlowName.ALLOWED, generation);
  }

  private decideNoName(slot: number, policy: CompiledPolicy, generation: number): number {
    this.outcomes[NameOutcome.NO_NAME]++;
    const a = policy.names!.noNameAction;
    return this.decide(slot, a === undefined ? FlowName.NO_MATCH : a === 'drop' ? NAME_DROP_NO_NAME : FlowName.ALLOWED, generation);
  }

  private decide(slot: number, verdict: number, generation: number): number {
    this.pending.delete(slot);
    this.state[slot] = STATE_DECIDED;
    this.verdict[slot] = verdict;
    this.generation[slot] = generation;
    return verdict;
  }
}
