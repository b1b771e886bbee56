/**
 * What every reply strategy shares: the Replier interface and the send
 * completion callback that counts packets/bytes out and send errors.
 *
 * Each reply names the SendTracker that accounts for it: the data plane passes
 * the customer tracker for GWLB traffic and the self-probe's tracker for probe
 * packets, so probes never show up in the customer counters.
 */
import type { Socket } from 'node:dgram';
import { AgentMetrics } from './metrics';

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
 * Counts the outcome of every reply send. `onSent` is created once and passed to
 * every `socket.send` so no closure is allocated per packet; node calls it with
 * (error) or (null, bytesSent).
 */
export class SendTracker {
  /** Last send error, for the periodic warning; cleared when logged. */
  lastError: Error | null = null;

  constructor(readonly metrics: AgentMetrics) {}

  readonly onSent = (err: Error | null, bytes?: number): void => {
    if (err) {
      this.metrics.sendErrors++;
      this.lastError = err;
    } else {
      this.metrics.packetsOut++;
      this.metrics.bytesOut += bytes ?? 0;
    }
  };

  /** A send that threw synchronously (e.g. the socket was closed). */
  fail(err: unknown): void {
    this.metrics.sendErrors++;
    this.lastError = err instanceof Error ? err : new Error(String(err));
  }

  /** Send on a connected socket. */
  sendConnected(socket: Socket, msg: Buffer): void {
    try {
      socket.send(msg, this.onSent);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Send on an unconnected socket (the listening socket). */
  sendTo(socket: Socket, msg: Buffer, port: number, address: string): void {
    try {
      socket.send(msg, port, address, this.onSent);
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
