/**
 * The per-packet decision: GENEVE decode -> inner IP parse -> flow lookup/create -> blocked? ->
 * policy match -> verdict.
 *
 * Verdicts:
 * - Policy rules are evaluated for every packet (no per-flow verdict cache), so setPolicy() takes
 *   effect on the next packet of every flow.
 * - A `drop` rule with a payload condition also blocks the packet's flow: its later packets are
 *   dropped with FLOW_BLOCKED until the flow idles out (TCP 350 s, others 120 s after its last
 *   packet; blocked packets keep the flow alive). Blocks survive setPolicy(): the flow was seen
 *   carrying forbidden content and a reload does not make that content acceptable.
 * - A drop by `defaultAction: "drop"` is reported as POLICY with rule name "defaultAction".
 * - Non-first fragments have no ports, so they form their own flow entry (ports 0).
 * - Server names (policy `serverNames`, server-names.ts): a read flow's packets are forwarded while
 *   its name is pending; the verdict is made once, on the packet that completes the name (or
 *   reaches a bound). A drop verdict blocks the flow (FLOW_BLOCKED for the rest of it, both
 *   directions); an allowed flow keeps its verdict in both directions. A reload applies to flows
 *   whose verdict comes after it: flows allowed by an earlier name verdict stay allowed (packet
 *   rules still apply), blocked ones stay blocked.
 *
 * dropCounts[DropReason.NONE] counts forwarded packets. inspect() never throws: an unexpected
 * exception (a bug) drops the packet as INTERNAL_ERROR and is kept in `lastError`.
 */
import { performance } from 'perf_hooks';
import { formatAddress } from './cidr';
import { DROP_REASON_COUNT, DropReason, DropReasonCode } from './drop-reasons';
import { FlowTable } from './flow-table';
import { decodeInto, ETHERTYPE_IPV4, GeneveView } from './geneve';
import { NameDropCounts } from './name-drop-counts';
import { ParsedPacket, parseIpPacket } from './packet';
import { CompiledPolicy, FlowName, MATCH_PENDING } from './policy';
import { NAME_DROP_MALFORMED, NAME_DROP_NO_NAME, ServerNames } from './server-names';
import type { SharedBlockTable } from './shared-blocks';

export interface InspectorOptions {
  /** Idle timeout of TCP flows, seconds. @default 350 */
  tcpIdleSeconds?: number;
  /** Idle timeout of UDP and other flows, seconds. @default 120 */
  otherIdleSeconds?: number;
  /** Flows kept; the least recently used is evicted beyond it. @default 1_000_000 */
  maxFlows?: number;
  /**
   * Millisecond clock, read once per packet. Every Node clock call returns a freshly boxed double
   * (16 bytes of young-generation garbage per packet); the inspector itself allocates nothing for a
   * forwarded packet of an existing flow. For zero allocation, inject a clock that returns a value
   * cached by a timer, e.g. refreshed from performance.now() every 100 ms (idle timeouts are minutes).
   * @default - performance.now() (monotonic)
   */
  now?: () => number;
  /**
   * Flow blocks shared with the other workers (shared-blocks.ts); `now` must then be the clock every
   * worker shares. @default - blocks are local
   */
  sharedBlocks?: SharedBlockTable;
}

export interface PolicyDropEvent {
  /** Rule name, or "defaultAction". */
  rule: string;
  protocol: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  flowCookie: number;
  /** True when the flow is now blocked (a payload rule, or a server-name verdict). */
  flowBlocked: boolean;
  /** The flow's server name (SNI / Host), when the drop is a server-name verdict and one was read. */
  serverName?: string;
}

export const DEFAULT_TCP_IDLE_SECONDS = 350;
export const DEFAULT_OTHER_IDLE_SECONDS = 120;
export const DEFAULT_MAX_FLOWS = 1_000_000;

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name}: ${value} is not a positive number`);
  }
  return value;
}

export class Inspector {
  /** Packets per verdict, indexed by DropReason (index 0: forwarded). */
  readonly dropCounts = new Float64Array(DROP_REASON_COUNT);
  /** Called on every POLICY drop that `wantPolicyDrop` (if set) accepts. */
  onPolicyDrop?: (e: PolicyDropEvent) => void;
  /**
   * Asked before a policy-drop event is built: false skips formatting addresses and allocating
   * the event (the runtime's log rate limiter says no to most of a drop flood).
   */
  wantPolicyDrop?: () => boolean;
  readonly flows: FlowTable;
  /** Per-flow server-name state (used when the policy has name rules). */
  readonly names: ServerNames;
  /** Flows blocked by a server-name verdict, by rule and name. */
  readonly nameDrops = new NameDropCounts();
  /** The last unexpected exception (INTERNAL_ERROR) or exception thrown by onPolicyDrop. */
  lastError: unknown = undefined;
  /** Exceptions thrown by onPolicyDrop (the verdict stands). */
  callbackErrors = 0;

  private _policy: CompiledPolicy;
  private _generation = 0;
  private readonly now: () => number;
  private readonly view = new GeneveView();
  private readonly packet = new ParsedPacket();

  constructor(policy: CompiledPolicy, opts: InspectorOptions = {}) {
    this._policy = policy;
    this.now = opts.now ?? (() => performance.now());
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    if (!Number.isInteger(maxFlows) || maxFlows < 1) throw new RangeError(`maxFlows: ${maxFlows} is not an integer >= 1`);
    this.flows = new FlowTable({
      maxFlows,
      tcpIdleMs: positive('tcpIdleSeconds', opts.tcpIdleSeconds ?? DEFAULT_TCP_IDLE_SECONDS) * 1000,
      otherIdleMs: positive('otherIdleSeconds', opts.otherIdleSeconds ?? DEFAULT_OTHER_IDLE_SECONDS) * 1000,
      shared: opts.sharedBlocks,
    });
    this.names = new ServerNames(maxFlows, opts.sharedBlocks !== undefined);
  }

  /** Incremented by every setPolicy(). */
  get policyGeneration(): number {
    return this._generation;
  }

  get policy(): CompiledPolicy {
    return this._policy;
  }

  /** Replaces the policy (SIGHUP reload). Applies from the next packet; flow blocks are kept. */
  setPolicy(policy: CompiledPolicy): void {
    this._policy = policy;
    this._generation++;
  }

  /**
   * Decides for one GENEVE UDP payload `buf[offset, offset + length)`: DropReason.NONE (0) to
   * forward it unchanged, otherwise the drop reason. Never throws; no allocation for a packet of an
   * existing flow that is forwarded.
   */
  inspect(buf: Buffer, offset: number, length: number): number {
    let reason: DropReasonCode;
    try {
      reason = this.decide(buf, offset, length);
    } catch (e) {
      this.lastError = e;
      reason = DropReason.INTERNAL_ERROR;
    }
    this.dropCounts[reason]++;
    return reason;
  }

  /** Flows held (including idle ones not yet swept). */
  activeFlows(): number {
    return this.flows.size;
  }

  /** Removes every idle flow and settles server-name reads that timed out. */
  sweep(): void {
    this.sweepNames();
    this.sweepFlows();
  }

  /**
   * Removes idle flows, at most `maxFlows` of them (the runtime calls this in slices on a timer);
   * returns true when it stopped at that limit, so idle flows may be left for another call.
   */
  sweepFlows(maxFlows: number = Infinity): boolean {
    return this.flows.sweep(this.now(), maxFlows) >= maxFlows;
  }

  /** Settles server-name reads that timed out (once per sweep period). */
  sweepNames(): void {
    this.names.sweep(this.now(), this._policy, this._generation);
  }

  private decide(buf: Buffer, offset: number, length: number): DropReasonCode {
    const v = this.view;
    const decoded = decodeInto(buf, offset, length, v);
    if (decoded !== DropReason.NONE) return decoded;
    const p = this.packet;
    const parsed = parseIpPacket(buf, v.payloadOffset, v.payloadLength, p, v.protocolType === ETHERTYPE_IPV4 ? 4 : 6);
    if (parsed !== DropReason.NONE) return parsed;
    const flows = this.flows;
    const now = this.now();
    const slot = flows.observe(v.flowCookie, p.ipVersion, p.protocol, p.src, p.dst, p.srcPort, p.dstPort, p.ipLength, now);
    const created = flows.created;
    if (flows.isBlocked(slot)) return DropReason.FLOW_BLOCKED;
    const policy = this._policy;
    let flowName: number = FlowName.NOT_INSPECTED;
    if (policy.names !== null) {
      flowName = this.names.step(slot, created, p, buf, now, policy, this._generation);
      if (flowName === NAME_DROP_MALFORMED || flowName === NAME_DROP_NO_NAME) {
        return this.blockByName(slot, flowName === NAME_DROP_MALFORMED ? 'serverNameInspection.malformedAction' : 'serverNameInspection.noNameAction');
      }
    } else if (created) {
      this.names.clear(slot);
    }
    const index = flowName === FlowName.NOT_INSPECTED ? policy.match(p, buf) : policy.matchFlow(p, buf, flowName);
    if (index === MATCH_PENDING) return DropReason.NONE;
    if (index < 0) {
      if (!policy.defaultDrop || flowName === FlowName.ALLOWED) return DropReason.NONE;
      if (flowName === FlowName.NO_MATCH) return this.blockByName(slot, 'defaultAction');
      this.emit('defaultAction', false);
      return DropReason.POLICY;
    }
    const rule = policy.rules[index];
    if (!rule.drop) return DropReason.NONE;
    if (rule.serverNames !== null) return this.blockByName(slot, rule.name);
    const block = rule.payload !== null;
    if (block) flows.block(slot);
    this.emit(rule.name, block);
    return DropReason.POLICY;
  }

  /** A server-name verdict drops the flow: block it (both directions), count and report it. */
  private blockByName(slot: number, rule: string): DropReasonCode {
    this.flows.block(slot);
    const name = this.names.nameOf(slot);
    this.nameDrops.add(rule, name);
    this.emit(rule, true, name);
    return DropReason.POLICY;
  }

  private emit(rule: string, flowBlocked: boolean, serverName?: string): void {
    const cb = this.onPolicyDrop;
    if (!cb) return;
    const p = this.packet;
    try {
      const want = this.wantPolicyDrop;
      if (want !== undefined && !want()) return;
      cb({
        rule,
        protocol: p.protocol,
        src: formatAddress(p.ipVersion, p.src),
        dst: formatAddress(p.ipVersion, p.dst),
        srcPort: p.srcPort,
        dstPort: p.dstPort,
        flowCookie: this.view.flowCookie,
        flowBlocked,
        ...(serverName !== undefined ? { serverName } : {}),
      });
    } catch (e) {
      this.callbackErrors++;
      this.lastError = e;
    }
  }
}
