import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { AgentAwsOptions } from './agent-systemd-unit';
import { AppliancePolicy } from './appliance-policy';
import { fail } from './validation';

/** SSM standard parameters hold 4 KB; advanced ones 8 KB (and cost $0.05 per parameter-month). */
const STANDARD_PARAMETER_BYTES = 4096;
const ADVANCED_PARAMETER_BYTES = 8192;

/** Inputs of {@link createAgentCloudResources}. */
export interface AgentCloudResourcesOptions {
  readonly role: iam.IRole;
  readonly policy: AppliancePolicy;
  /** The AutoScalingGroupName dimension (the group's name). */
  readonly fleetName: string;
  readonly metricsNamespace: string;
  readonly metricsInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly policyPollInterval: Duration;
}

/** The AWS resources of the agent and its command line flags for them. */
export interface AgentCloudResources {
  readonly logGroup: logs.LogGroup;
  readonly policyParameter: ssm.StringParameter;
  readonly flags: AgentAwsOptions;
}

/**
 * The policy parameter, the log group and the least-privilege statements the agent needs:
 * `cloudwatch:PutMetricData` only into its namespace (the action has no resource-level
 * permissions, so the `cloudwatch:namespace` condition is the tightest scope),
 * `logs:CreateLogStream`/`logs:PutLogEvents` on its log group only, `ssm:GetParameter` on the
 * policy parameter only. The policy lives in the parameter, not in the user data, so changing it
 * updates the parameter and leaves the launch template alone.
 */
export function createAgentCloudResources(scope: Construct, o: AgentCloudResourcesOptions): AgentCloudResources {
  const interval = o.metricsInterval.toSeconds();
  const poll = o.policyPollInterval.toSeconds();
  if (!Token.isUnresolved(interval) && (!Number.isInteger(interval) || interval < 10 || interval > 3600)) {
    fail(scope, `metricsInterval must be 10..3600 whole seconds, got ${interval} s`);
  }
  if (!Token.isUnresolved(poll) && (!Number.isInteger(poll) || poll < 5 || poll > 3600)) {
    fail(scope, `policyPollInterval must be 5..3600 whole seconds, got ${poll} s`);
  }
  if (!Token.isUnresolved(o.metricsNamespace) && (!/^[A-Za-z0-9.\-_/#:]{1,255}$/.test(o.metricsNamespace) || o.metricsNamespace.startsWith('AWS/'))) {
    fail(scope, `metricsNamespace "${o.metricsNamespace}" is not a custom CloudWatch namespace (1-255 of A-Z a-z 0-9 . - _ / # :, not starting with AWS/)`);
  }

  const value = o.policy.toParameterValue();
  const bytes = o.policy.estimatedParameterBytes();
  if (bytes > ADVANCED_PARAMETER_BYTES) {
    fail(scope, `policy is about ${bytes} bytes as compact JSON; an SSM parameter holds at most ${ADVANCED_PARAMETER_BYTES} `
      + '(advanced tier): shorten it (fewer rules, CIDR lists merged)');
  }
  const policyParameter = new ssm.StringParameter(scope, 'PolicyParameter', {
    stringValue: value,
    description: 'GWLB inspection agent policy (JSON); the appliances poll it and apply changes without replacement',
    tier: bytes > STANDARD_PARAMETER_BYTES ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
  });
  const logGroup = new logs.LogGroup(scope, 'AgentLogGroup', {
    retention: o.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  o.role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'AgentMetrics',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': o.metricsNamespace } },
  }));
  o.role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'AgentLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  o.role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'AgentPolicy',
    actions: ['ssm:GetParameter'],
    resources: [policyParameter.parameterArn],
  }));
  Validations.of(o.role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the agent\'s '
      + 'namespace by the cloudwatch:namespace condition key',
  });

  return {
    logGroup,
    policyParameter,
    flags: {
      region: Stack.of(scope).region,
      metricsNamespace: o.metricsNamespace,
      metricsIntervalSeconds: interval,
      logGroupName: logGroup.logGroupName,
      fleetName: o.fleetName,
      policyParameterName: policyParameter.parameterName,
      policyPollSeconds: poll,
    },
  };
}
