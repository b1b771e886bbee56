import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { GeneveHealthCheck, GeneveHealthCheckProtocol } from '../gwlb';
import { AgentAsset } from './agent-asset';
import { createAgentCloudResources } from './agent-cloud-resources';
import { AgentLogLevel, AgentReplyMode } from './agent-systemd-unit';
import { AppliancePolicy } from './appliance-policy';
import { renderAgentUserData } from './appliance-user-data';
import { fail } from './validation';

/** The root device of Amazon Linux images. */
export const AMAZON_LINUX_ROOT_DEVICE = '/dev/xvda';
const DEFAULT_ROOT_VOLUME_SIZE = Size.gibibytes(8);
/** The Node.js package of the default appliance: an LTS line Amazon Linux 2023 supports. */
const DEFAULT_NODE_PACKAGE = 'nodejs24';
/** The agent's default CloudWatch namespace. */
const DEFAULT_AGENT_METRICS_NAMESPACE = 'GwlbInspection';
/** How long user data waits for the agent's /healthz before it fails (and signals the failure). */
const AGENT_HEALTHY_WITHIN_SECONDS = 300;

/**
 * The executable of a namespaced Amazon Linux 2023 Node.js package (`nodejs22` installs
 * `/usr/bin/node-22`); undefined for other packages, whose `node` the bundle's shebang finds.
 */
function nodeExecutableOf(nodePackageName: string): string | undefined {
  const match = /^nodejs(\d+)$/.exec(nodePackageName);
  return match ? `/usr/bin/node-${match[1]}` : undefined;
}

/** Options of {@link Appliance.agent}. */
export interface AgentApplianceOptions {
  /**
   * The inspection policy.
   * @default AppliancePolicy.allowAll()
   */
  readonly policy?: AppliancePolicy;

  /**
   * The image. The user data uses `dnf` and the AWS CLI, so it must be Amazon Linux 2023 or alike.
   * @default - the latest Amazon Linux 2023 for the instance type's architecture (arm64 or x86_64)
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The OS package that provides Node.js (18 or later). A namespaced Amazon Linux 2023 package
   * `nodejs<N>` runs the agent with `/usr/bin/node-<N>`, whatever `node` points to.
   * @default 'nodejs24' (Node.js 20 reached its end of life in April 2026)
   */
  readonly nodePackageName?: string;

  /**
   * The agent's log level.
   * @default AgentLogLevel.INFO
   */
  readonly logLevel?: AgentLogLevel;

  /**
   * How the agent returns packets.
   * @default AgentReplyMode.BOUND_PORT
   */
  readonly replyMode?: AgentReplyMode;

  /**
   * Data-plane workers of the agent, each on its own core with its own GENEVE socket (SO_REUSEPORT;
   * the kernel spreads flows over them). Between 1 and 1024.
   * @default - one per vCPU of the instance, counted by the agent when it starts
   */
  readonly workers?: number;

  /**
   * Shell commands appended to the user data, run after the agent has started.
   * @default - none
   */
  readonly additionalCommands?: string[];

  /**
   * The size of the encrypted root volume.
   * @default Size.gibibytes(8)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The CloudWatch namespace of the agent's metrics (the instance role may publish only into it).
   * @default 'GwlbInspection'
   */
  readonly metricsNamespace?: string;

  /**
   * How often the agent publishes its counters (10 seconds to 1 hour; below a minute they are
   * high-resolution metrics).
   * @default Duration.minutes(1)
   */
  readonly metricsInterval?: Duration;

  /**
   * How long CloudWatch Logs keeps the agent's log (policy drops included).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How often each appliance reads the policy parameter; a change applies within this time,
   * without replacing the appliances (5 seconds to 1 hour).
   * @default Duration.seconds(30)
   */
  readonly policyPollInterval?: Duration;
}

/** Options of {@link Appliance.custom}. */
export interface CustomApplianceOptions {
  /** The image of the appliance, such as a third-party firewall. */
  readonly machineImage: ec2.IMachineImage;

  /** The complete user data of the appliance. */
  readonly userData: ec2.UserData;

  /**
   * The root device name of the image.
   * @default '/dev/xvda'
   */
  readonly rootDeviceName?: string;

  /**
   * The size of the encrypted root volume; at least the size of the image's root snapshot.
   * @default Size.gibibytes(8)
   */
  readonly rootVolumeSize?: Size;
}

/** What an {@link Appliance} is bound to. */
export interface ApplianceBindOptions {
  readonly instanceType: ec2.InstanceType;
  /** The instance role; the appliance may add permissions it needs. */
  readonly role: iam.IRole;
  /** The target group's health check, with defaults filled in. */
  readonly healthCheck: GeneveHealthCheck;
  /** The target group's deregistration delay. */
  readonly deregistrationDelay: Duration;
  /**
   * The listener's TCP idle timeout.
   * @default - the Gateway Load Balancer default (350 seconds)
   */
  readonly tcpIdleTimeout?: Duration;
  /**
   * The name of the Auto Scaling group (the agent's AutoScalingGroupName metric dimension).
   * @default - the agent reads the group's name from the instance metadata tags
   */
  readonly autoScalingGroupName?: string;
}

/** The launch settings an {@link Appliance} produces. */
export interface ApplianceConfig {
  readonly machineImage: ec2.IMachineImage;
  readonly userData: ec2.UserData;
  readonly rootDeviceName: string;
  readonly rootVolumeSize: Size;
  /**
   * The agent bundle, for appliances that run the bundled agent.
   * @default - none
   */
  readonly agentAsset?: s3_assets.Asset;
  /**
   * The policy of the bundled agent.
   * @default - none
   */
  readonly policy?: AppliancePolicy;
  /**
   * The SSM parameter the bundled agent reads its policy from.
   * @default - none
   */
  readonly policyParameter?: ssm.IStringParameter;
  /**
   * The CloudWatch Logs group of the bundled agent.
   * @default - none
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * The CloudWatch namespace of the bundled agent's metrics.
   * @default - none: no agent metrics
   */
  readonly metricsNamespace?: string;
  /**
   * Whether the user data ends successfully only once the appliance is healthy, so the group
   * can wait for a success signal from each instance (`addSignalOnExitCommand`).
   * @default false
   */
  readonly signalsWhenHealthy?: boolean;
}

/**
 * The software of the inspection appliances: the bundled GENEVE agent
 * ({@link Appliance.agent}) or your own image and user data ({@link Appliance.custom}).
 *
 * Source/destination checking stays enabled on the instances: the Gateway Load Balancer sends
 * GENEVE packets addressed to the appliance itself and the appliance answers from its own
 * address, so the instance never forwards packets that are not its own.
 */
export abstract class Appliance {
  /** Appliances running the bundled `gwlb-agent` on Amazon Linux 2023. */
  public static agent(options: AgentApplianceOptions = {}): Appliance {
    return new AgentAppliance(options);
  }

  /**
   * Appliances from your own image and user data (for example a third-party firewall). The
   * inspection construct's `healthCheck` is then required: the health port and path of a
   * third-party appliance are its vendor's, not the bundled agent's HTTP 8080 `/healthz`.
   */
  public static custom(options: CustomApplianceOptions): Appliance {
    return new CustomAppliance(options);
  }

  /**
   * Whether the appliances run the bundled agent, whose health check (HTTP GET `/healthz` on
   * port 8080) the inspection construct then fills in; other appliances must be given one.
   */
  public get usesBundledAgent(): boolean {
    return false;
  }

  /** Produce the launch settings; called once by the construct that launches the appliances. */
  public abstract bind(scope: Construct, options: ApplianceBindOptions): ApplianceConfig;
}

class AgentAppliance extends Appliance {
  constructor(private readonly options: AgentApplianceOptions) {
    super();
  }

  public get usesBundledAgent(): boolean {
    return true;
  }

  public bind(scope: Construct, options: ApplianceBindOptions): ApplianceConfig {
    const hc = options.healthCheck;
    if (hc.protocol === GeneveHealthCheckProtocol.HTTPS) {
      fail(scope, 'healthCheck.protocol HTTPS is not served by the bundled agent (its /healthz is plain HTTP): use HTTP or TCP');
    }
    if (hc.trafficPort || hc.port === undefined) {
      fail(scope, 'healthCheck.trafficPort cannot be used with the bundled agent: port 6081 is UDP (GENEVE); '
        + 'check the agent\'s health port instead');
    }
    const workers = this.options.workers;
    if (workers !== undefined && !Token.isUnresolved(workers) && !(Number.isInteger(workers) && workers >= 1 && workers <= 1024)) {
      fail(scope, `workers: ${workers} is not a whole number between 1 and 1024`);
    }
    const policy = this.options.policy ?? AppliancePolicy.allowAll();
    const asset = new AgentAsset(scope, 'AgentAsset');
    // Read access to this one object only (asset.grantRead would grant the whole asset bucket).
    options.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
    }));

    const metricsNamespace = this.options.metricsNamespace ?? DEFAULT_AGENT_METRICS_NAMESPACE;
    const cloud = createAgentCloudResources(scope, {
      role: options.role,
      policy,
      fleetName: options.autoScalingGroupName ?? '',
      metricsNamespace,
      metricsInterval: this.options.metricsInterval ?? Duration.minutes(1),
      logRetention: this.options.logRetention ?? logs.RetentionDays.ONE_MONTH,
      policyPollInterval: this.options.policyPollInterval ?? Duration.seconds(30),
    });
    const aws = options.autoScalingGroupName === undefined ? { ...cloud.flags, fleetName: undefined } : cloud.flags;

    const nodePackageName = this.options.nodePackageName ?? DEFAULT_NODE_PACKAGE;
    const userData = ec2.UserData.forLinux();
    userData.addCommands(...renderAgentUserData({
      nodePackageName,
      bundleBucketName: asset.s3BucketName,
      bundleObjectKey: asset.s3ObjectKey,
      region: Stack.of(scope).region,
      healthyWithinSeconds: AGENT_HEALTHY_WITHIN_SECONDS,
      service: {
        aws,
        healthPort: hc.port,
        drainSeconds: options.deregistrationDelay.toSeconds(),
        logLevel: this.options.logLevel,
        replyMode: this.options.replyMode,
        tcpIdleSeconds: options.tcpIdleTimeout?.toSeconds(),
        nodeExecutable: nodeExecutableOf(nodePackageName),
        workers,
      },
      additionalCommands: this.options.additionalCommands,
    }));

    return {
      machineImage: this.options.machineImage ?? amazonLinux2023For(options.instanceType),
      userData,
      rootDeviceName: AMAZON_LINUX_ROOT_DEVICE,
      rootVolumeSize: this.options.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_SIZE,
      agentAsset: asset,
      policy,
      policyParameter: cloud.policyParameter,
      logGroup: cloud.logGroup,
      metricsNamespace,
      signalsWhenHealthy: true,
    };
  }
}

class CustomAppliance extends Appliance {
  constructor(private readonly options: CustomApplianceOptions) {
    super();
  }

  public bind(): ApplianceConfig {
    return {
      machineImage: this.options.machineImage,
      userData: this.options.userData,
      rootDeviceName: this.options.rootDeviceName ?? AMAZON_LINUX_ROOT_DEVICE,
      rootVolumeSize: this.options.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_SIZE,
    };
  }
}

/** The latest Amazon Linux 2023 for the architecture of the instance type. */
export function amazonLinux2023For(instanceType: ec2.InstanceType): ec2.IMachineImage {
  const cpuType = instanceType.architecture === ec2.InstanceArchitecture.ARM_64
    ? ec2.AmazonLinuxCpuType.ARM_64
    : ec2.AmazonLinuxCpuType.X86_64;
  return ec2.MachineImage.latestAmazonLinux2023({ cpuType });
}
