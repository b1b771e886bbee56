/** Where the default appliance user data installs the agent and its files. */
export const AGENT_PATHS = {
  /** The bundled agent (one JavaScript file with a `#!/usr/bin/env node` line). */
  bundle: '/opt/gwlb-agent/gwlb-agent.js',
  /** The command on the PATH, a symbolic link to the bundle. */
  command: '/usr/local/bin/gwlb-agent',
  /** The policy document; `systemctl reload gwlb-agent` (SIGHUP) re-reads it. */
  policy: '/etc/gwlb-agent/policy.json',
  /** The systemd unit. */
  unit: '/etc/systemd/system/gwlb-agent.service',
  /** Kernel settings for the agent's UDP sockets. */
  sysctl: '/etc/sysctl.d/90-gwlb-agent.conf',
} as const;

/** The GENEVE port the agent listens on; Gateway Load Balancer always sends to UDP 6081. */
export const AGENT_GENEVE_PORT = 6081;

/** The agent's log level (`--log-level`). */
export enum AgentLogLevel {
  DEBUG = 'debug',
  INFO = 'info',
  WARN = 'warn',
  ERROR = 'error',
}

/** How the agent returns packets to the Gateway Load Balancer (`--reply-mode`). */
export enum AgentReplyMode {
  /**
   * Reply from a socket bound to the load balancer's source port, so both UDP ports of the
   * GENEVE flow are kept, as the load balancer expects.
   */
  BOUND_PORT = 'bound-port',
  /** Reply from the listening socket (source port 6081); the load balancer's source port is not kept. */
  DGRAM = 'dgram',
}

/** Options of the agent service: the command line flags of `gwlb-agent`. */
export interface AgentServiceOptions {
  /** The TCP port of the agent's HTTP health endpoint (`GET /healthz`), `--health-port`. */
  readonly healthPort: number;

  /**
   * Seconds the agent keeps forwarding while reporting unhealthy after SIGTERM (`--drain-seconds`);
   * set it to the target group's deregistration delay.
   */
  readonly drainSeconds: number;

  /**
   * `--log-level`.
   * @default AgentLogLevel.INFO
   */
  readonly logLevel?: AgentLogLevel;

  /**
   * `--reply-mode`.
   * @default AgentReplyMode.BOUND_PORT
   */
  readonly replyMode?: AgentReplyMode;

  /**
   * TCP flow idle timeout in seconds (`--tcp-idle-seconds`); set it to the listener's TCP idle timeout.
   * @default - the agent's default (350, the Gateway Load Balancer default)
   */
  readonly tcpIdleSeconds?: number;

  /**
   * The Node.js executable that runs the bundle, such as `/usr/bin/node-24` (Amazon Linux 2023
   * namespaces each Node.js major version, and `/usr/bin/node` follows whichever version the
   * `alternatives` system made active).
   * @default - the bundle's `#!/usr/bin/env node` line picks the active `node`
   */
  readonly nodeExecutable?: string;

  /**
   * Data-plane worker threads (`--workers`), each with its own SO_REUSEPORT GENEVE socket.
   * @default - one per vCPU of the instance (the agent's `--workers auto`)
   */
  readonly workers?: number;

  /**
   * CloudWatch metrics and logs and the policy from an SSM parameter (instead of the policy file).
   * @default - none: the policy file, the journal only
   */
  readonly aws?: AgentAwsOptions;
}

/** The agent's AWS flags (CloudWatch metrics and logs, the policy from SSM). Strings may be CDK tokens. */
export interface AgentAwsOptions {
  /** `--aws-region`. */
  readonly region: string;
  /** `--cloudwatch-namespace`. */
  readonly metricsNamespace: string;
  /** `--metrics-interval-seconds`. */
  readonly metricsIntervalSeconds: number;
  /** `--log-group`. */
  readonly logGroupName: string;
  /** `--fleet-name`: the AutoScalingGroupName dimension. @default - the instance's aws:autoscaling:groupName tag */
  readonly fleetName?: string;
  /** `--policy-parameter` (replaces `--policy`). */
  readonly policyParameterName: string;
  /** `--policy-poll-seconds`. */
  readonly policyPollSeconds: number;
}

/** Seconds systemd waits for the agent to exit after SIGTERM, beyond the drain time. */
const STOP_GRACE_SECONDS = 15;

/** The `gwlb-agent` command line the service runs. */
export function renderAgentCommandLine(options: AgentServiceOptions): string {
  const args = [
    ...(options.nodeExecutable !== undefined ? [options.nodeExecutable, AGENT_PATHS.bundle] : [AGENT_PATHS.command]),
    '--listen', '0.0.0.0',
    '--port', String(AGENT_GENEVE_PORT),
    '--health-port', String(options.healthPort),
    ...(options.aws ? [] : ['--policy', AGENT_PATHS.policy]),
    '--drain-seconds', String(options.drainSeconds),
    '--reply-mode', options.replyMode ?? AgentReplyMode.BOUND_PORT,
    '--log-level', options.logLevel ?? AgentLogLevel.INFO,
  ];
  if (options.tcpIdleSeconds !== undefined) {
    args.push('--tcp-idle-seconds', String(options.tcpIdleSeconds));
  }
  if (options.workers !== undefined) {
    args.push('--workers', String(options.workers));
  }
  const aws = options.aws;
  if (aws) {
    args.push('--aws-region', aws.region, '--cloudwatch-namespace', aws.metricsNamespace,
      '--metrics-interval-seconds', String(aws.metricsIntervalSeconds), '--log-group', aws.logGroupName,
      ...(aws.fleetName === undefined ? [] : ['--fleet-name', aws.fleetName]), '--policy-parameter', aws.policyParameterName,
      '--policy-poll-seconds', String(aws.policyPollSeconds));
  }
  return args.join(' ');
}

/**
 * The systemd unit of the agent, hardened: the agent only needs unprivileged UDP and TCP
 * sockets (no raw sockets, so no capabilities at all), reads its bundle and policy, and writes
 * nothing but its journal.
 *
 * Not set on purpose: `MemoryDenyWriteExecute` (the V8 JIT needs writable executable memory).
 */
export function renderAgentSystemdUnit(options: AgentServiceOptions): string {
  return [
    '[Unit]',
    'Description=GWLB inspection agent (GENEVE pass-through appliance)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${renderAgentCommandLine(options)}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${options.drainSeconds + STOP_GRACE_SECONDS}`,
    'LimitNOFILE=1048576',
    'Environment=NODE_ENV=production',
    'DynamicUser=yes',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallErrorNumber=EPERM',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
