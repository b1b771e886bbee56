/**
 * The command line flags of the AWS integration: CloudWatch metrics and logs, and the policy
 * from an SSM parameter. Parsed with the other flags in cli.ts; every bad value fails naming
 * the flag and the value. Absent flags leave the feature off.
 */
import { CliError } from '../cli';

/** What the AWS integration does; undefined fields are off. */
export interface AwsConfig {
  /** The region of CloudWatch and SSM. @default - AWS_REGION, else the instance's region from IMDS */
  readonly region?: string;
  /** PutMetricData namespace; undefined: no metrics. */
  readonly metricsNamespace?: string;
  /** Seconds between metric samples (also the CloudWatch period; below 60: high resolution). */
  readonly metricsIntervalSeconds: number;
  /** CloudWatch Logs group for the agent's log; undefined: journal only. */
  readonly logGroup?: string;
  /** The AutoScalingGroupName dimension. @default - the instance's `aws:autoscaling:groupName` tag from IMDS */
  readonly fleetName?: string;
  /** SSM parameter holding the policy; undefined: --policy file (or allow all). */
  readonly policyParameter?: string;
  /** Seconds between polls of the policy parameter. */
  readonly policyPollSeconds: number;
}

export const DEFAULT_METRICS_INTERVAL_SECONDS = 60;
export const DEFAULT_POLICY_POLL_SECONDS = 30;

/** parseArgs option definitions, merged into cli.ts's. */
export const AWS_OPTIONS = {
  'aws-region': { type: 'string' },
  'cloudwatch-namespace': { type: 'string' },
  'metrics-interval-seconds': { type: 'string' },
  'log-group': { type: 'string' },
  'fleet-name': { type: 'string' },
  'policy-parameter': { type: 'string' },
  'policy-poll-seconds': { type: 'string' },
} as const;

export const AWS_HELP = `AWS integration (each off unless its flag is given; credentials from the instance role):
  --aws-region REGION      Region of CloudWatch and SSM. Default: AWS_REGION, else the instance's (IMDS)
  --cloudwatch-namespace NS
                           Publish counters to CloudWatch (PutMetricData) in namespace NS
  --metrics-interval-seconds N
                           Sample and publish period (10-3600; below 60 high resolution). Default 60
  --log-group NAME         Send the log (policy drops included) to this CloudWatch Logs group,
                           one stream per instance id
  --fleet-name NAME        AutoScalingGroupName dimension. Default: the instance's
                           aws:autoscaling:groupName tag (IMDS instance tags)
  --policy-parameter NAME  Read the policy from this SSM parameter (not with --policy); poll it
                           and apply changes (an invalid one keeps the running policy). SIGHUP polls now
  --policy-poll-seconds N  Poll period of --policy-parameter (5-3600). Default 30
`;

const NAMESPACE = /^[A-Za-z0-9.\-_/#:]{1,255}$/;
const LOG_GROUP = /^[A-Za-z0-9_\-/.#]{1,512}$/;
const PARAMETER = /^(arn:[^:]+:ssm:[^:]+:\d{12}:parameter)?\/?[A-Za-z0-9_.\-/]{1,2048}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Parse the AWS flags; undefined when none is given. */
export function parseAwsOptions(str: (name: keyof typeof AWS_OPTIONS) => string | undefined): AwsConfig | undefined {
  const given = (Object.keys(AWS_OPTIONS) as Array<keyof typeof AWS_OPTIONS>).some((k) => str(k) !== undefined);
  if (!given) return undefined;
  const config: AwsConfig = {
    region: pattern('--aws-region', str('aws-region'), REGION, 'is not an AWS region name (such as eu-west-1)'),
    metricsNamespace: namespace(str('cloudwatch-namespace')),
    metricsIntervalSeconds: integer('--metrics-interval-seconds', str('metrics-interval-seconds'), DEFAULT_METRICS_INTERVAL_SECONDS, 10, 3600),
    logGroup: pattern('--log-group', str('log-group'), LOG_GROUP, 'is not a log group name (1-512 of A-Z a-z 0-9 _ - / . #)'),
    fleetName: pattern('--fleet-name', str('fleet-name'), /^[^\s].{0,254}$/, 'is not a dimension value (1-255 characters)'),
    policyParameter: pattern('--policy-parameter', str('policy-parameter'), PARAMETER, 'is not an SSM parameter name or ARN'),
    policyPollSeconds: integer('--policy-poll-seconds', str('policy-poll-seconds'), DEFAULT_POLICY_POLL_SECONDS, 5, 3600),
  };
  if (config.metricsNamespace === undefined && str('metrics-interval-seconds') !== undefined) {
    throw new CliError('--metrics-interval-seconds: needs --cloudwatch-namespace (no metrics are published without it)');
  }
  if (config.policyParameter === undefined && str('policy-poll-seconds') !== undefined) {
    throw new CliError('--policy-poll-seconds: needs --policy-parameter');
  }
  return config;
}

function namespace(raw: string | undefined): string | undefined {
  const ns = pattern('--cloudwatch-namespace', raw, NAMESPACE, 'is not a CloudWatch namespace (1-255 of A-Z a-z 0-9 . - _ / # :)');
  if (ns !== undefined && ns.startsWith('AWS/')) {
    throw new CliError(`--cloudwatch-namespace: ${JSON.stringify(ns)} starts with "AWS/", which is reserved for AWS services`);
  }
  return ns;
}

function pattern(flag: string, raw: string | undefined, re: RegExp, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!re.test(raw)) throw new CliError(`${flag}: ${JSON.stringify(raw)} ${what}`);
  return raw;
}

function integer(flag: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  const n = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new CliError(`${flag}: ${JSON.stringify(raw)} is not a whole number of seconds (${min}-${max})`);
  return n;
}
