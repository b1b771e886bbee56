/**
 * What every reply strategy shares: the Replier interface and the SendTracker
 * that counts packets/bytes out and send errors.
 *
 * Each reply names the SendTracker that accounts for it: the data plane passes
 * the customer tracker for GWLB traffic and the self-probe's tracker for probe
 * packets, so probes never show up in the customer counters.
 */
import type { Socket } from 'node:dgram';
import { AgentMetrics } from './metrics';
import { DGRAM_SEND_PATH, SendOutcome, SendPath } from './udp-send';

/** Sends a GENEVE payload back to the GWLB. Implementations never throw. */
export interface Replier {
  /**
   * Return `msg` unchanged to the GWLB at `address`, which sent it from UDP port
   * `gwlbPort` to our listening port. `sender` counts the outcome (packets out,
   * send errors, ports not kept, queue drops) in its metrics.
   */
  reply(msg: Buffer, address: string, gwlbPort: number, sender: SendTracker): void;
  /** Reply sockets currently open (not counting the listening socket). */
  readonly openSockets: number;
  /** Housekeeping from a timer (e.g. retry failed binds). */
  sweep(nowMs: number): void;
  close(): void;
}

/**
 * Counts the outcome of every reply send: packets/bytes out, or a send error (kept in
 * `lastError` for the periodic warning). Sends go through `sendPath` (udp-send.ts): the native
 * path reports synchronously without a per-packet callback; the dgram path calls `onSent`, which
 * is created once so no closure is allocated per packet.
 */
export class SendTracker implements SendOutcome {
  /** Last send error, for the periodic warning; cleared when logged. */
  lastError: Error | null = null;
  /** Set by the data plane once it has chosen (selectSendPath). */
  sendPath: SendPath = DGRAM_SEND_PATH;

  constructor(readonly metrics: AgentMetrics) {}

  sent(bytes: number): void {
    this.metrics.packetsOut++;
    this.metrics.bytesOut += bytes;
  }

  failed(err: Error): void {
    this.metrics.sendErrors++;
    this.lastError = err;
  }

  readonly onSent = (err: Error | null, bytes?: number): void => {
    if (err) this.failed(err);
    else this.sent(bytes ?? 0);
  };

  /** A send that threw synchronously (e.g. the socket was closed). */
  fail(err: unknown): void {
    this.failed(err instanceof Error ? err : new Error(String(err)));
  }

  /** Send on a connected socket. */
  sendConnected(socket: Socket, msg: Buffer): void {
    try {
      this.sendPath.sendConnected(socket, msg, this);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Send on an unconnected socket (the listening socket). */
  sendTo(socket: Socket, msg: Buffer, port: number, address: string): void {
    try {
      this.sendPath.sendTo(socket, msg, port, address, this);
    } catch (err) {
      this.fail(err);
    }
  }
}

/** True for a dotted-quad IPv4 address in 127.0.0.0/8. No allocation. */
export function isLoopbackIPv4(address: string): boolean {
  return address.length >= 9 && address.charCodeAt(0) === 49 /* 1 */ && address.charCodeAt(1) === 50 /* 2 */ &&
    address.charCodeAt(2) === 55 /* 7 */ && address.charCodeAt(3) === 46 /* . */;
}

/** Context every replier gets from the data plane. */
export interface ReplyContext {
  /** The listening socket (bound to listenAddress:listenPort). */
  readonly main: Socket;
  readonly listenAddress: string;
  readonly listenPort: number;
  /** Socket-level counters (bind failures, socket errors, evictions). */
  readonly metrics: AgentMetrics;
  /** Rate-limited warning sink (never called per packet without limiting). */
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
}
