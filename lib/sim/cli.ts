/**
 * Command line of `gwlb-sim` (node's util.parseArgs, strict). Every bad value fails with a
 * message naming the flag and the value.
 */
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { SIM_DEFAULTS, SIM_LOG_LEVELS, SimConfig, SimLogLevel, Stickiness, TargetSpec } from './config';

/** A bad command line; the message names the flag and the value. */
export class SimCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimCliError';
  }
}

export type SimCliResult = { readonly kind: 'help' } | { readonly kind: 'run'; readonly config: SimConfig };

export const SIM_HELP = `Usage: gwlb-sim --local ADDR --target ADDR[:PORT] [--target ...] [options]

Local stand-in for an AWS Gateway Load Balancer. Reads IP packets from a tun device, wraps
each in GENEVE with the three AWS options (endpoint ENI id, attachment id, flow cookie), sends
it over UDP to a target chosen per flow, checks that the target returns the datagram
unchanged with both UDP ports kept, and writes the inner packet back to the tun device.
Route the traffic to inspect into the tun device (e.g. ip rule iif <ifname> lookup <table>).

Options:
  --local ADDR              IPv4 address of the sim (GENEVE source, replies come back to it). Required
  --target ADDR[:PORT]      An appliance (GENEVE UDP port, default 6081). Repeat for several. Required
  --tun NAME                tun device to open, created if missing. Default ${SIM_DEFAULTS.tunName}
  --tun-mtu N               MTU to set on the tun device and bring it up (68-65535; 0: leave
                            it as it is). Default ${SIM_DEFAULTS.tunMtu}
  --geneve-port N           UDP port replies must come to (and targets listen on unless
                            --target names one). Default ${SIM_DEFAULTS.genevePort}
  --source-ports A-B        Outer UDP source ports, one per flow by hash (1024-65535). Default ${SIM_DEFAULTS.sourcePortRange}
  --stickiness MODE         5-tuple | 3-tuple | 2-tuple (also source_ip_dest_ip_proto,
                            source_ip_dest_ip). Default ${SIM_DEFAULTS.stickiness}
  --rebalance               Move the existing flows of a target that turns unhealthy
                            (target_failover.on_unhealthy = rebalance). Default: they stay
  --health-port N           Port of each target's HTTP health check. Default ${SIM_DEFAULTS.healthPort}
  --health-path PATH        Path of the health check (200-399 is healthy). Default ${SIM_DEFAULTS.healthPath}
  --health-interval SEC     Seconds between checks (0.1-300). Default ${SIM_DEFAULTS.healthIntervalSeconds}
  --health-timeout SEC      Seconds before a check fails (0.05-120, at most the interval).
                            Default: the interval, at most 5
  --healthy-threshold N     Consecutive successes to turn healthy (2-10). Default ${SIM_DEFAULTS.healthyThreshold}
  --unhealthy-threshold N   Consecutive failures to turn unhealthy (2-10). Default ${SIM_DEFAULTS.unhealthyThreshold}
  --eni-id ID               GWLB endpoint ENI id option, u64 (decimal or 0x hex). Default random
  --attachment-id ID        Attachment id option, u64 (decimal or 0x hex). Default random
  --tcp-idle-seconds N      Idle timeout of TCP flows (1-6000). Default ${SIM_DEFAULTS.tcpIdleSeconds}
  --udp-idle-seconds N      Idle timeout of other flows (1-6000). Default ${SIM_DEFAULTS.udpIdleSeconds}
  --status-listen ADDR      Address of the HTTP status server. Default ${SIM_DEFAULTS.statusListen}
  --status-port N           Port of the status server: GET /status (JSON), /metrics
                            (Prometheus), /healthz; 0 disables it. Default ${SIM_DEFAULTS.statusPort}
  --strict                  Drop returned packets that break a rule (default: count, deliver)
  --log-level LEVEL         ${SIM_LOG_LEVELS.join('|')}. Default ${SIM_DEFAULTS.logLevel}
  --help                    Show this help and exit

No target healthy: new flows go to all targets (fail open, like GWLB).
Logs are JSON lines on stdout; "msg":"ready" is printed once packets flow.
`;

const OPTIONS = {
  'local': { type: 'string' },
  'target': { type: 'string', multiple: true },
  'tun': { type: 'string' },
  'tun-mtu': { type: 'string' },
  'geneve-port': { type: 'string' },
  'source-ports': { type: 'string' },
  'stickiness': { type: 'string' },
  'rebalance': { type: 'boolean' },
  'health-port': { type: 'string' },
  'health-path': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-timeout': { type: 'string' },
  'healthy-threshold': { type: 'string' },
  'unhealthy-threshold': { type: 'string' },
  'eni-id': { type: 'string' },
  'attachment-id': { type: 'string' },
  'tcp-idle-seconds': { type: 'string' },
  'udp-idle-seconds': { type: 'string' },
  'status-listen': { type: 'string' },
  'status-port': { type: 'string' },
  'strict': { type: 'boolean' },
  'log-level': { type: 'string' },
  'help': { type: 'boolean' },
} as const;

type Values = Partial<Record<keyof typeof OPTIONS, string | string[] | boolean>>;

/** Parses argv (without node and script). Throws SimCliError. */
export function parseSimCli(argv: readonly string[]): SimCliResult {
  let values: Values;
  let tokens: ReadonlyArray<{ kind: string; name?: string }>;
  try {
    const parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
    values = parsed.values as Values;
    tokens = parsed.tokens;
  } catch (err) {
    throw new SimCliError(`${(err as Error).message} (see --help)`);
  }
  if (values.help) return { kind: 'help' };
  rejectRepeats(tokens);
  const str = (name: keyof typeof OPTIONS): string | undefined => values[name] as string | undefined;

  const genevePort = integer('--geneve-port', str('geneve-port'), SIM_DEFAULTS.genevePort, 1, 65535);
  const intervalMs = seconds('--health-interval', str('health-interval'), SIM_DEFAULTS.healthIntervalSeconds, 0.1, 300);
  const timeoutMs = seconds('--health-timeout', str('health-timeout'), Math.min(5, intervalMs / 1000), 0.05, 120);
  if (timeoutMs > intervalMs) {
    throw new SimCliError(`--health-timeout: ${timeoutMs / 1000} must not exceed --health-interval ${intervalMs / 1000}`);
  }
  const [portMin, portMax] = portRange(str('source-ports') ?? SIM_DEFAULTS.sourcePortRange, genevePort);
  const config: SimConfig = {
    tunName: ifName(str('tun') ?? SIM_DEFAULTS.tunName),
    tunMtu: tunMtu(str('tun-mtu')),
    localAddress: required('--local', ipv4('--local', str('local'))),
    genevePort,
    targets: targets(values.target as string[] | undefined, genevePort),
    healthPort: integer('--health-port', str('health-port'), SIM_DEFAULTS.healthPort, 1, 65535),
    healthPath: healthPath(str('health-path') ?? SIM_DEFAULTS.healthPath),
    healthIntervalMs: intervalMs,
    healthTimeoutMs: timeoutMs,
    healthyThreshold: integer('--healthy-threshold', str('healthy-threshold'), SIM_DEFAULTS.healthyThreshold, 2, 10),
    unhealthyThreshold: integer('--unhealthy-threshold', str('unhealthy-threshold'), SIM_DEFAULTS.unhealthyThreshold, 2, 10),
    stickiness: stickiness(str('stickiness')),
    rebalance: values.rebalance === true,
    eniId: u64('--eni-id', str('eni-id')),
    attachmentId: u64('--attachment-id', str('attachment-id')),
    sourcePortMin: portMin,
    sourcePortMax: portMax,
    tcpIdleMs: integer('--tcp-idle-seconds', str('tcp-idle-seconds'), SIM_DEFAULTS.tcpIdleSeconds, 1, 6000) * 1000,
    otherIdleMs: integer('--udp-idle-seconds', str('udp-idle-seconds'), SIM_DEFAULTS.udpIdleSeconds, 1, 6000) * 1000,
    statusListen: ipv4('--status-listen', str('status-listen')) ?? SIM_DEFAULTS.statusListen,
    statusPort: integer('--status-port', str('status-port'), SIM_DEFAULTS.statusPort, 0, 65535),
    strict: values.strict === true,
    logLevel: logLevel(str('log-level')),
  };
  return { kind: 'run', config };
}

function rejectRepeats(tokens: ReadonlyArray<{ kind: string; name?: string }>): void {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || !t.name || t.name === 'target') continue;
    if (seen.has(t.name)) throw new SimCliError(`--${t.name}: given more than once`);
    seen.add(t.name);
  }
}

function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw new SimCliError(`${flag}: is required (see --help)`);
  return value;
}

function integer(flag: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new SimCliError(`${flag}: "${raw}" is not an integer ${min}-${max}`);
  }
  return Number(raw);
}

/** Seconds (decimal allowed) to milliseconds. */
function seconds(flag: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return Math.round(dflt * 1000);
  const v = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || v < min || v > max) {
    throw new SimCliError(`${flag}: "${raw}" is not a number of seconds ${min}-${max}`);
  }
  return Math.round(v * 1000);
}

function ipv4(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!isIPv4(raw)) throw new SimCliError(`${flag}: "${raw}" is not an IPv4 address`);
  return raw;
}

function ifName(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(raw)) {
    throw new SimCliError(`--tun: "${raw}" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  }
  return raw;
}

function tunMtu(raw: string | undefined): number {
  if (raw === '0') return 0;
  return integer('--tun-mtu', raw, SIM_DEFAULTS.tunMtu, 68, 65535);
}

function targets(raw: string[] | undefined, genevePort: number): TargetSpec[] {
  if (!raw || raw.length === 0) throw new SimCliError('--target: at least one is required (ADDR[:PORT], see --help)');
  const seen = new Set<string>();
  return raw.map((t) => {
    const m = /^([0-9.]+)(?::(\d+))?$/.exec(t);
    const port = m?.[2] === undefined ? genevePort : Number(m[2]);
    if (!m || !isIPv4(m[1]) || !(port >= 1 && port <= 65535)) {
      throw new SimCliError(`--target: "${t}" is not ADDR[:PORT] with an IPv4 address and a port 1-65535`);
    }
    const key = `${m[1]}:${port}`;
    if (seen.has(key)) throw new SimCliError(`--target: "${t}" is given twice`);
    seen.add(key);
    return { address: m[1], port };
  });
}

function portRange(raw: string, genevePort: number): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(raw);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1024 || hi > 65535 || lo > hi) {
    throw new SimCliError(`--source-ports: "${raw}" is not a range A-B with 1024 <= A <= B <= 65535`);
  }
  if (genevePort >= lo && genevePort <= hi) {
    throw new SimCliError(`--source-ports: "${raw}" contains the GENEVE port ${genevePort}`);
  }
  return [lo, hi];
}

function healthPath(raw: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(raw)) throw new SimCliError(`--health-path: "${raw}" is not a path starting with /`);
  return raw;
}

const STICKINESS_NAMES: Record<string, Stickiness> = {
  '5-tuple': Stickiness.FIVE_TUPLE,
  '3-tuple': Stickiness.THREE_TUPLE,
  '2-tuple': Stickiness.TWO_TUPLE,
  'source_ip_dest_ip_proto': Stickiness.THREE_TUPLE,
  'source_ip_dest_ip': Stickiness.TWO_TUPLE,
};

function stickiness(raw: string | undefined): Stickiness {
  if (raw === undefined) return SIM_DEFAULTS.stickiness;
  const s = STICKINESS_NAMES[raw];
  if (!s) throw new SimCliError(`--stickiness: "${raw}" is not one of ${Object.keys(STICKINESS_NAMES).join(', ')}`);
  return s;
}

function u64(flag: string, raw: string | undefined): bigint {
  if (raw === undefined) return randomBytes(8).readBigUInt64BE();
  if (!/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(raw) || BigInt(raw) > 0xffffffffffffffffn) {
    throw new SimCliError(`${flag}: "${raw}" is not a u64 (decimal or 0x followed by up to 16 hex digits)`);
  }
  return BigInt(raw);
}

function logLevel(raw: string | undefined): SimLogLevel {
  if (raw === undefined) return SIM_DEFAULTS.logLevel;
  if (!(SIM_LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new SimCliError(`--log-level: "${raw}" is not one of ${SIM_LOG_LEVELS.join(', ')}`);
  }
  return raw as SimLogLevel;
}
