import { AGENT_PATHS, AgentServiceOptions, renderAgentSystemdUnit } from './agent-systemd-unit';

/**
 * Kernel settings for the agent: large socket buffers so bursts of GENEVE packets are queued
 * instead of dropped while the event loop is busy, and a longer device backlog.
 */
export const AGENT_SYSCTL_SETTINGS: Readonly<Record<string, string>> = {
  'net.core.rmem_max': '67108864',
  'net.core.wmem_max': '67108864',
  'net.core.rmem_default': '16777216',
  'net.core.wmem_default': '16777216',
  'net.core.netdev_max_backlog': '250000',
  'net.ipv4.udp_rmem_min': '16384',
  'net.ipv4.udp_wmem_min': '16384',
};

/** Inputs of {@link renderAgentUserData}. Strings may be CDK tokens. */
export interface AgentUserDataOptions {
  /** The OS package that provides Node.js, such as `nodejs24` on Amazon Linux 2023. */
  readonly nodePackageName: string;

  /** The bucket of the agent bundle asset. */
  readonly bundleBucketName: string;

  /** The object key of the agent bundle asset. */
  readonly bundleObjectKey: string;

  /** The region of the bucket (passed to `aws s3 cp --region`). */
  readonly region: string;

  /**
   * The policy document (JSON) written to `/etc/gwlb-agent/policy.json`.
   * @default - none: the agent reads its policy from the SSM parameter in `service.aws`
   */
  readonly policyJson?: string;

  /**
   * Wait up to this many seconds for the agent's own `GET /healthz` to answer 200 before the
   * script ends; the script fails (exit 1) otherwise, so an `addSignalOnExitCommand` signal
   * reports the failure to CloudFormation. Installs `aws-cfn-bootstrap` (cfn-signal) first.
   * @default - no wait
   */
  readonly healthyWithinSeconds?: number;

  /** The agent's command line options. */
  readonly service: AgentServiceOptions;

  /**
   * Commands run after the agent has been started.
   * @default - none
   */
  readonly additionalCommands?: string[];
}

/**
 * The commands of the default appliance user data (without the `#!/bin/bash` line, which
 * `ec2.UserData.forLinux()` adds). A pure function, so the script can be reviewed and
 * snapshot-tested without synthesizing a stack.
 *
 * Steps: install Node.js from the OS repositories; download the agent bundle from the CDK
 * asset bucket; write the policy, the kernel settings and the systemd unit; start the agent.
 * The script stops at the first failing command (`set -euo pipefail`), so a broken appliance
 * never passes health checks.
 */
export function renderAgentUserData(options: AgentUserDataOptions): string[] {
  const sysctl = Object.entries(AGENT_SYSCTL_SETTINGS).map(([key, value]) => `${key} = ${value}`);
  const wait = options.healthyWithinSeconds;
  return [
    'set -euo pipefail',
    ...(wait === undefined ? [] : ['# cfn-signal (the exit trap reports this script\'s result to CloudFormation)', 'dnf install -y aws-cfn-bootstrap']),
    '# Node.js from the OS package repository',
    `dnf install -y ${options.nodePackageName}`,
    '# The agent bundle (a CDK asset)',
    `install -d -m 0755 ${dirname(AGENT_PATHS.bundle)} ${dirname(AGENT_PATHS.policy)}`,
    `aws s3 cp --only-show-errors --region ${options.region} `
      + `s3://${options.bundleBucketName}/${options.bundleObjectKey} ${AGENT_PATHS.bundle}`,
    `chmod 0755 ${AGENT_PATHS.bundle}`,
    `ln -sf ${AGENT_PATHS.bundle} ${AGENT_PATHS.command}`,
    ...(options.policyJson === undefined ? [] : [
      '# The inspection policy (reload with: systemctl reload gwlb-agent)',
      ...heredoc(AGENT_PATHS.policy, 'GWLB_AGENT_POLICY', options.policyJson),
      `chmod 0644 ${AGENT_PATHS.policy}`,
    ]),
    '# Socket buffers for bursts of GENEVE packets',
    ...heredoc(AGENT_PATHS.sysctl, 'GWLB_AGENT_SYSCTL', sysctl.join('\n')),
    `sysctl -p ${AGENT_PATHS.sysctl}`,
    '# The agent service',
    ...heredoc(AGENT_PATHS.unit, 'GWLB_AGENT_UNIT', renderAgentSystemdUnit(options.service).trimEnd()),
    'systemctl daemon-reload',
    'systemctl enable --now gwlb-agent.service',
    ...(wait === undefined ? [] : [
      '# Fail fast: succeed only once the agent reports its data path healthy on its own health endpoint',
      `if ! timeout ${wait} bash -c 'until curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:${options.service.healthPort}/healthz; do sleep 3; done'; then`,
      `  echo "gwlb-agent not healthy within ${wait} s" >&2`,
      '  systemctl status gwlb-agent.service --no-pager || true',
      '  exit 1',
      'fi',
    ]),
    ...(options.additionalCommands ?? []),
  ];
}

/** `cat > file <<'MARKER'` ... `MARKER`: a quoted here-document, so nothing in it is expanded by the shell. */
function heredoc(file: string, marker: string, content: string): string[] {
  if (content.split('\n').includes(marker)) {
    throw new Error(`renderAgentUserData: the content of ${file} contains the line '${marker}'`);
  }
  return [`cat > ${file} <<'${marker}'`, content, marker];
}

function dirname(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}
