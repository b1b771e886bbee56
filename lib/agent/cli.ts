/**
 * Command line of `gwlb-agent` (node's util.parseArgs, strict). Every bad value
 * fails with a message naming the flag and the value; nothing is ignored.
 */
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { IO_MODES, IoMode } from './batch-io';
import { AWS_HELP, AWS_OPTIONS, AwsConfig, parseAwsOptions } from './cloudwatch/options';
import { isLogLevel, LOG_LEVELS, LogLevel } from './log';

export type ReplyMode = 'bound-port' | 'dgram';
export const REPLY_MODES: readonly ReplyMode[] = ['bound-port', 'dgram'];
/** auto: node's UDP handle when a startup self-test passes, else the dgram API (udp-send.ts). */
export type SendPathMode = 'auto' | 'dgram';
export const SEND_PATH_MODES: readonly SendPathMode[] = ['auto', 'dgram'];
/** --self-probe-interval-ms range (0 disables the probe). */
export const MIN_SELF_PROBE_INTERVAL_MS = 100;
export const MAX_SELF_PROBE_INTERVAL_MS = 60_000;

export interface AgentConfig {
  readonly listen: string;
  readonly port: number;
  readonly healthPort: number;
  /** Absent: no policy file, everything is allowed. */
  readonly policyFile?: string;
  readonly drainSeconds: number;
  readonly logLevel: LogLevel;
  readonly replyMode: ReplyMode;
  readonly tcpIdleSeconds: number;
  readonly udpIdleSeconds: number;
  readonly maxFlows: number;
  /** Self-probe period; 0: no self-probe. */
  readonly selfProbeIntervalMs: number;
  readonly sendPath: SendPathMode;
  /** Data-plane workers; 0: one per vCPU (os.availableParallelism()). */
  readonly workers: number;
  /** Datagram I/O: native batch I/O (recvmmsg/sendmmsg addon) or node's dgram. */
  readonly io: IoMode;
  /** CloudWatch metrics and logs, policy from SSM (cloudwatch/options.ts). @default - none */
  readonly aws?: AwsConfig;
}

export const DEFAULT_CONFIG: AgentConfig = {
  listen: '0.0.0.0',
  port: 6081,
  healthPort: 8080,
  drainSeconds: 0,
  logLevel: 'info',
  replyMode: 'bound-port',
  tcpIdleSeconds: 350,
  udpIdleSeconds: 120,
  maxFlows: 1_000_000,
  selfProbeIntervalMs: 2000,
  sendPath: 'auto',
  workers: 0,
  io: 'auto',
};

/** Most --workers accepted. */
export const MAX_WORKERS = 1024;

export type CliResult = { readonly kind: 'help' } | { readonly kind: 'run'; readonly config: AgentConfig };

/** A bad command line; the message names the flag and the value. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const HELP = `Usage: gwlb-agent [options]

GENEVE pass-through appliance for AWS Gateway Load Balancer: receives GENEVE on UDP,
applies the policy and returns allowed packets unchanged to the GWLB.

Options:
  --listen ADDR            IPv4 address to listen on (UDP data and HTTP health). Default 0.0.0.0
  --port N                 UDP port for GENEVE from the GWLB (1-65535). Default 6081
  --health-port N          TCP port of the HTTP server: GET /healthz, GET /metrics (1-65535). Default 8080
  --policy FILE            JSON policy file; SIGHUP reloads it. Default: none (allow everything)
  --drain-seconds N        After SIGTERM/SIGINT, keep forwarding N seconds with /healthz at 503,
                           then exit 0 (0-3600). Default 0
  --log-level LEVEL        ${LOG_LEVELS.join('|')}. Default info
  --reply-mode MODE        bound-port: reply from a socket bound to the GWLB's source port, so both
                           UDP ports are kept (default). dgram: reply from the listening socket
                           (source port becomes the listening port).
  --tcp-idle-seconds N     Idle timeout of TCP flows (1-86400). Default 350
  --udp-idle-seconds N     Idle timeout of UDP and other flows (1-86400). Default 120
  --max-flows N            Flow table capacity (1-100000000). Default 1000000
  --self-probe-interval-ms N
                           Data-path self-probe period (${MIN_SELF_PROBE_INTERVAL_MS}-${MAX_SELF_PROBE_INTERVAL_MS}, or 0). Default 2000. The probe
                           sends a GENEVE packet from 127.0.0.81 through the listening socket, the
                           inspector and the reply path, and expects it back unchanged within
                           min(1000, N/2) ms; after 2 misses in a row /healthz answers 503. 0 turns
                           it off (logged as a warning): /healthz then checks only the sockets, the
                           send errors and the event loop, not that packets get through.
  --send-path MODE         auto: send replies through node's UDP handle, without a callback per
                           packet, when a self-test at start passes, else through the dgram API
                           (default). dgram: always the dgram API.
  --workers N|auto         Data-plane worker threads, each with its own SO_REUSEPORT GENEVE socket
                           (1-${MAX_WORKERS}, or auto: one per vCPU). Default auto. Needs node 22.12+; on older
                           node the agent runs one worker and says so at start.
  --io MODE                auto: receive and reply in batches (recvmmsg/sendmmsg) through the prebuilt
                           native addon shipped in the bundle (x86_64 and arm64 Linux), else node's
                           dgram API, saying why at start (default). native: the addon or refuse to
                           start. js: always node's dgram API.
  --help                   Show this help and exit

${AWS_HELP}
Signals: SIGHUP reloads --policy (an invalid file keeps the running policy);
SIGTERM/SIGINT start draining.
`;

const OPTIONS = {
  'listen': { type: 'string' },
  'port': { type: 'string' },
  'health-port': { type: 'string' },
  'policy': { type: 'string' },
  'drain-seconds': { type: 'string' },
  'log-level': { type: 'string' },
  'reply-mode': { type: 'string' },
  'tcp-idle-seconds': { type: 'string' },
  'udp-idle-seconds': { type: 'string' },
  'max-flows': { type: 'string' },
  'self-probe-interval-ms': { type: 'string' },
  'send-path': { type: 'string' },
  'workers': { type: 'string' },
  'io': { type: 'string' },
  'help': { type: 'boolean' },
  ...AWS_OPTIONS,
} as const;

/** Parse argv (without node and script). Throws CliError. */
export function parseCli(argv: readonly string[]): CliResult {
  const parsed = runParseArgs(argv);
  rejectRepeats(parsed.tokens);
  const v = parsed.values as Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  if (v.help) return { kind: 'help' };
  const str = (name: keyof typeof OPTIONS): string | undefined => v[name] as string | undefined;

  const config: AgentConfig = {
    listen: ipv4('--listen', str('listen'), DEFAULT_CONFIG.listen),
    port: integer('--port', str('port'), DEFAULT_CONFIG.port, 1, 65535, 'is not a port'),
    healthPort: integer('--health-port', str('health-port'), DEFAULT_CONFIG.healthPort, 1, 65535, 'is not a port'),
    policyFile: policyPath(str('policy')),
    drainSeconds: integer('--drain-seconds', str('drain-seconds'), DEFAULT_CONFIG.drainSeconds, 0, 3600, 'is not a whole number of seconds'),
    logLevel: logLevel(str('log-level')),
    replyMode: replyMode(str('reply-mode')),
    tcpIdleSeconds: integer('--tcp-idle-seconds', str('tcp-idle-seconds'), DEFAULT_CONFIG.tcpIdleSeconds, 1, 86400, 'is not a whole number of seconds'),
    udpIdleSeconds: integer('--udp-idle-seconds', str('udp-idle-seconds'), DEFAULT_CONFIG.udpIdleSeconds, 1, 86400, 'is not a whole number of seconds'),
    maxFlows: integer('--max-flows', str('max-flows'), DEFAULT_CONFIG.maxFlows, 1, 100_000_000, 'is not a whole number'),
    selfProbeIntervalMs: selfProbeInterval(str('self-probe-interval-ms')),
    sendPath: oneOf('--send-path', str('send-path'), SEND_PATH_MODES, DEFAULT_CONFIG.sendPath),
    workers: str('workers') === 'auto' ? 0 : integer('--workers', str('workers'), DEFAULT_CONFIG.workers, 1, MAX_WORKERS, 'is not a whole number or auto'),
    io: oneOf('--io', str('io'), IO_MODES, DEFAULT_CONFIG.io),
    aws: parseAwsOptions(str),
  };
  if (config.aws?.policyParameter !== undefined && config.policyFile !== undefined) {
    throw new CliError('--policy-parameter: not together with --policy (the policy comes from one place)');
  }
  return { kind: 'run', config };
}

type ParsedArgs = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false; tokens: true }>>;

function runParseArgs(argv: readonly string[]): ParsedArgs {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw new CliError(explainParseError(err, argv));
  }
}

/** Turn parseArgs' errors into "flag: problem" messages. */
function explainParseError(err: unknown, argv: readonly string[]): string {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const m = /'([^']*)'/.exec(msg);
      return `${m ? m[1] : 'option'}: unknown flag (see --help)`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const m = /'(--?[\w-]+)/.exec(msg);
      const flag = m ? m[1] : 'option';
      if (flag === '--help') return '--help: takes no value';
      const next = argv[argv.indexOf(flag) + 1];
      return next !== undefined && next.startsWith('-')
        ? `${flag}: a value is required; ${JSON.stringify(next)} looks like a flag (write ${flag}=${next} to pass it as the value)`
        : `${flag}: a value is required`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const m = /'([^']*)'/.exec(msg);
      return `${m ? JSON.stringify(m[1]) : 'argument'}: unexpected argument (flags take the form --name VALUE)`;
    }
    default:
      return msg;
  }
}

function rejectRepeats(tokens: ParsedArgs['tokens']): void {
  const seen = new Set<string>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new CliError(`--${t.name}: given more than once`);
    seen.add(t.name);
  }
}

function ipv4(flag: string, raw: string | undefined, dflt: string): string {
  if (raw === undefined) return dflt;
  if (!isIPv4(raw)) throw new CliError(`${flag}: ${JSON.stringify(raw)} is not an IPv4 address`);
  return raw;
}

function integer(flag: string, raw: string | undefined, dflt: number, min: number, max: number, what: string): number {
  if (raw === undefined) return dflt;
  const n = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new CliError(`${flag}: ${JSON.stringify(raw)} ${what} (${min}-${max})`);
  return n;
}

function policyPath(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new CliError(`--policy: ${JSON.stringify(raw)} is not a file path`);
  return raw;
}

function logLevel(raw: string | undefined): LogLevel {
  if (raw === undefined) return DEFAULT_CONFIG.logLevel;
  if (!isLogLevel(raw)) throw new CliError(`--log-level: ${JSON.stringify(raw)} is not one of ${LOG_LEVELS.join(', ')}`);
  return raw;
}

function selfProbeInterval(raw: string | undefined): number {
  const n = raw === undefined ? DEFAULT_CONFIG.selfProbeIntervalMs : /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (n === 0 || (n >= MIN_SELF_PROBE_INTERVAL_MS && n <= MAX_SELF_PROBE_INTERVAL_MS)) return n;
  throw new CliError(`--self-probe-interval-ms: ${JSON.stringify(raw)} is not a whole number of milliseconds ` +
    `(0 or ${MIN_SELF_PROBE_INTERVAL_MS}-${MAX_SELF_PROBE_INTERVAL_MS})`);
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], dflt: T): T {
  if (raw === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(raw)) throw new CliError(`${flag}: ${JSON.stringify(raw)} is not one of ${allowed.join(', ')}`);
  return raw as T;
}

function replyMode(raw: string | undefined): ReplyMode {
  if (raw === undefined) return DEFAULT_CONFIG.replyMode;
  if (!(REPLY_MODES as readonly string[]).includes(raw)) {
    throw new CliError(`--reply-mode: ${JSON.stringify(raw)} is not one of ${REPLY_MODES.join(', ')}`);
  }
  return raw as ReplyMode;
}
