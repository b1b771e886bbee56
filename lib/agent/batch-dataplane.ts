/**
 * The data plane's side of native batch I/O (batch-io.ts): what onMessage (dataplane.ts) does per
 * datagram, done for a whole batch the addon received, with the verdicts written back for the
 * addon to send. Same counting, same probe handling, same reply contract; no allocation for GWLB
 * traffic (the self-probe's loopback packets allocate an address string and a view, as node does).
 *
 * Choosing the path (`--io`): auto uses the addon when it loads and can take the socket, else the
 * JavaScript dgram path, with the reason; native refuses to start without it; js never tries it.
 */
import type { Socket } from 'node:dgram';
import {
  BatchCounts, BatchIoAddon, BatchSocket, BatchView, emptyBatchCounts, IoMode, loadBatchIo, u32ToIpv4, VERDICT_DROP,
  VERDICT_PROBE_REPLY, VERDICT_REPLY,
} from './batch-io';
import type { ReplyMode } from './cli';
import type { PacketInspector } from './dataplane';
import { DropReason } from './drop-reasons';
import { GeneveView } from './geneve';
import type { AgentMetrics } from './metrics';
import { isOtherEniAtUsualPlace, ProbeEndpoint } from './probe-packet';
import { FAILED_RETRY_MS } from './reply-bound-port';
import { SendTracker } from './reply-common';
import { sendError } from './udp-send';

/** Which I/O path a data plane runs, and why (empty for the preferred one). */
export interface IoChoice {
  readonly mode: 'native' | 'js';
  /** Why the JavaScript path runs; empty for native. */
  readonly reason: string;
  /** Where the addon was loaded from (native only). */
  readonly source?: string;
}

/** What the batch handler needs from the Dataplane. */
export interface BatchHost {
  readonly inspector: PacketInspector;
  readonly metrics: AgentMetrics;
  readonly sender: SendTracker;
  readonly probeMetrics: AgentMetrics;
  readonly probeSender: SendTracker;
  readonly probeVerdicts: Float64Array;
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  /** The attached self-probe, or null. */
  probe(): ProbeEndpoint | null;
  /** Set while the inspector runs on a probe request. */
  setInspectingProbe(on: boolean): void;
  /** Same checks as Dataplane.isProbePacket. */
  isProbePacket(msg: Buffer, address: string, view: GeneveView): boolean;
}

export interface BatchPlaneOptions {
  readonly io: IoMode;
  readonly listenAddress: string;
  readonly listenPort: number;
  readonly replyMode: ReplyMode;
  readonly reusePort: boolean;
  readonly maxSockets: number;
}

/** The native I/O of one Dataplane: the listening socket and, in worker mode, the probe intake. */
export class BatchPlane {
  private readonly sockets: BatchSocket[] = [];
  private readonly counts: BatchCounts = emptyBatchCounts();
  private readonly probeView = new GeneveView();

  private constructor(private readonly addon: BatchIoAddon, readonly source: string, private readonly host: BatchHost,
    private readonly opts: BatchPlaneOptions) {}

  /**
   * Take `listening` over with the addon as `opts.io` asks. Returns the plane (native) or the
   * choice with its reason (js). Throws for --io native when the addon cannot be used.
   */
  static attach(listening: Socket, host: BatchHost, opts: BatchPlaneOptions): BatchPlane | IoChoice {
    if (opts.io === 'js') return { mode: 'js', reason: '--io js' };
    const load = loadBatchIo();
    let reason: string;
    if (load.addon !== null) {
      const plane = new BatchPlane(load.addon, load.source, host, opts);
      try {
        plane.watch(listening, listening);
        return plane;
      } catch (err) {
        reason = `the addon cannot take the socket: ${(err as Error).message}`;
      }
    } else {
      reason = load.reason;
    }
    if (opts.io === 'native') throw new Error(`--io native: the native batch I/O addon is unavailable: ${reason}`);
    return { mode: 'js', reason };
  }

  get choice(): IoChoice {
    return { mode: 'native', reason: '', source: this.source };
  }

  /** Read `receive` in batches too (the worker's probe intake); replies leave as from `listening`. */
  watch(receive: Socket, listening: Socket, keepsLoopAlive = true): void {
    const o = this.opts;
    const s = new BatchSocket(this.addon, {
      receive, listening, listenAddress: o.listenAddress, listenPort: o.listenPort, boundPort: o.replyMode === 'bound-port',
      reusePort: o.reusePort, maxSockets: o.maxSockets, onBatch: this.onBatch,
    });
    if (!keepsLoopAlive) s.ref(false);
    this.sockets.push(s);
  }

  get openSockets(): number {
    let n = 0;
    for (const s of this.sockets) n += s.openSockets;
    return n;
  }

  /** Fold the addon's counters into the data plane's metrics (cheap; call before reading them). */
  sync(): void {
    const c = this.counts;
    for (const s of this.sockets) s.drain(c);
    const h = this.host;
    const m = h.metrics;
    const pm = h.probeMetrics;
    m.packetsOut += c.packetsOut;
    m.bytesOut += c.bytesOut;
    m.sendErrors += c.sendErrors;
    m.portsNotKept += c.portsNotKept;
    m.replyBindFailures += c.replyBindFailures;
    m.replySocketEvictions += c.replySocketEvictions;
    m.socketErrors += c.socketErrors;
    m.internalErrors += c.callbackErrors;
    pm.packetsOut += c.probePacketsOut;
    pm.bytesOut += c.probeBytesOut;
    pm.sendErrors += c.probeSendErrors;
    pm.portsNotKept += c.probePortsNotKept;
    if (c.sendErrors > 0 || c.probeSendErrors > 0) {
      const err = sendError(-this.latest('lastSendErrno'));
      if (c.sendErrors > 0) h.sender.lastError = err;
      if (c.probeSendErrors > 0) h.probeSender.lastError = err;
    }
    if (c.replyBindFailures > 0) {
      h.warn('cannot bind the GWLB source port; replying from the listening port', {
        gwlb: u32ToIpv4(this.latest('lastBindAddress')), port: this.latest('lastBindPort'),
        error: sendError(-this.latest('lastBindErrno')).message.replace(/^send /, ''),
      });
    }
    for (const k of Object.keys(c) as (keyof BatchCounts)[]) c[k] = 0;
  }

  /** The most recent non-zero value of a "last ..." counter over the sockets. */
  private latest(name: string): number {
    for (const s of this.sockets) {
      const v = s.counter(name);
      if (v > 0) return v;
    }
    return 0;
  }

  /** Timer housekeeping at `nowMs` (Date.now() clock): forget binds that failed FAILED_RETRY_MS before it. */
  sweep(nowMs: number): void {
    const age = FAILED_RETRY_MS - (nowMs - Date.now());
    for (const s of this.sockets) s.sweepFailed(age);
  }

  close(): void {
    this.sync();
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
  }

  /** One batch from the addon: inspect each datagram, write its verdict. Never throws. */
  private readonly onBatch = (view: BatchView, count: number): void => {
    const h = this.host;
    const m = h.metrics;
    const inspector = h.inspector;
    const probe = h.probe();
    const { data, meta, verdicts, slot, metaFields } = view;
    for (let i = 0; i < count; i++) {
      const at = i * metaFields;
      const address = meta[at];
      const length = meta[at + 2];
      const offset = i * slot;
      if (probe !== null && address >>> 24 === 127) {
        const v = this.probePacket(view, offset, length, address, meta[at + 1], probe);
        if (v >= 0) {
          verdicts[i] = v;
          continue;
        }
      }
      m.packetsIn++;
      m.bytesIn += length;
      if ((meta[at + 3] & view.truncatedFlag) !== 0) {
        m.internalErrors++; // larger than a slot (64 KiB): cannot happen for UDP over IPv4
        verdicts[i] = VERDICT_DROP;
        continue;
      }
      let verdict: number;
      try {
        verdict = inspector.inspect(data, offset, length);
      } catch {
        m.internalErrors++;
        verdict = DropReason.INTERNAL_ERROR;
      }
      verdicts[i] = verdict === DropReason.NONE ? VERDICT_REPLY : VERDICT_DROP; // dropped: the inspector counted it
    }
  };

  /** A datagram from 127/8 while a probe is attached: -1 when it is not the probe's. */
  private probePacket(view: BatchView, offset: number, length: number, addr: number, port: number, probe: ProbeEndpoint): number {
    const h = this.host;
    const pm = h.probeMetrics;
    try {
      // GWLB traffic from 127/8 (only on a test bench) costs no allocation: the usual ENI id check first.
      if (isOtherEniAtUsualPlace(view.data, probe, offset, length)) return -1;
      const msg = view.data.subarray(offset, offset + length);
      const address = u32ToIpv4(addr);
      // onBatch only calls this for sources in 127/8, so the address is a loopback one already.
      if (!h.isProbePacket(msg, address, this.probeView)) return -1;
      if (!probe.isRequestSource(address, port)) {
        probe.onReply(Buffer.from(msg), address, port); // a copy: the slot is reused by the next batch
        return VERDICT_DROP;
      }
      pm.packetsIn++;
      pm.bytesIn += length;
      let verdict: number;
      h.setInspectingProbe(true);
      try {
        verdict = h.inspector.inspect(view.data, offset, length);
        h.probeVerdicts[verdict]++;
      } catch {
        pm.internalErrors++;
        verdict = DropReason.INTERNAL_ERROR;
      } finally {
        h.setInspectingProbe(false);
      }
      if (verdict !== DropReason.NONE && verdict !== DropReason.POLICY && verdict !== DropReason.FLOW_BLOCKED) {
        probe.onDropped(verdict);
        return VERDICT_DROP;
      }
      return VERDICT_PROBE_REPLY;
    } catch {
      pm.internalErrors++; // a bug in the probe must not take the process down
      return VERDICT_DROP;
    }
  }
}
