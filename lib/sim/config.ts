/**
 * Configuration of `gwlb-sim`, the local stand-in for an AWS Gateway Load Balancer.
 */

/** How a new flow is mapped to a target (the target group's `stickiness.type`). */
export enum Stickiness {
  /** Protocol, source and destination address and port (AWS default). */
  FIVE_TUPLE = '5-tuple',
  /** Protocol, source and destination address (`source_ip_dest_ip_proto`). */
  THREE_TUPLE = '3-tuple',
  /** Source and destination address (`source_ip_dest_ip`). */
  TWO_TUPLE = '2-tuple',
}

/** One appliance the sim sends GENEVE to. */
export interface TargetSpec {
  readonly address: string;
  /** UDP port of the appliance's GENEVE listener. */
  readonly port: number;
}

export interface SimConfig {
  /** tun device to open (created when missing). */
  readonly tunName: string;
  /** MTU set on the tun device; 0 leaves the device's MTU and state alone. */
  readonly tunMtu: number;
  /** The sim's own IPv4 address: outer source of GENEVE, destination of replies. */
  readonly localAddress: string;
  /** UDP port the sim expects replies on (GWLB: 6081). */
  readonly genevePort: number;
  readonly targets: readonly TargetSpec[];
  readonly healthPort: number;
  readonly healthPath: string;
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly stickiness: Stickiness;
  /** Move the flows of a target that turns unhealthy (`target_failover.on_unhealthy = rebalance`). */
  readonly rebalance: boolean;
  readonly eniId: bigint;
  readonly attachmentId: bigint;
  /** Outer UDP source ports, chosen per flow from this range by a hash of the 5-tuple. */
  readonly sourcePortMin: number;
  readonly sourcePortMax: number;
  readonly tcpIdleMs: number;
  readonly otherIdleMs: number;
  /** Address and port of the HTTP status server (/status, /metrics, /healthz); port 0 disables it. */
  readonly statusListen: string;
  readonly statusPort: number;
  /** Drop a returned packet that breaks any rule instead of only counting it. */
  readonly strict: boolean;
  readonly logLevel: SimLogLevel;
}

export type SimLogLevel = 'debug' | 'info' | 'warn' | 'error';
export const SIM_LOG_LEVELS: readonly SimLogLevel[] = ['debug', 'info', 'warn', 'error'];

export const SIM_DEFAULTS = {
  tunName: 'gwlbsim0',
  tunMtu: 1500,
  genevePort: 6081,
  healthPort: 8080,
  healthPath: '/healthz',
  healthIntervalSeconds: 10,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
  stickiness: Stickiness.FIVE_TUPLE,
  sourcePortRange: '40000-40999',
  tcpIdleSeconds: 350,
  udpIdleSeconds: 120,
  statusListen: '127.0.0.1',
  statusPort: 9090,
  logLevel: 'info' as SimLogLevel,
} as const;
