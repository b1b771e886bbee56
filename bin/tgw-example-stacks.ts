import { App, Environment, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  Appliance, AppliancePolicy, CentralizedInspection, InspectedSpoke, InspectionVpc, PortRange, RuleAction, RuleProtocol,
} from '../lib/patterns';
import { GwlbPathValidator } from '../lib/validation';

/** The security VPC: Gateway Load Balancer, appliances and endpoint service. */
export class TgwSecurityStack extends Stack {
  public readonly inspection: InspectionVpc;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.inspection = new InspectionVpc(this, 'Inspection', {
      appliance: Appliance.agent({
        policy: AppliancePolicy.fromRules({
          defaultAction: RuleAction.ALLOW,
          rules: [
            { name: 'no-telnet', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(23)] },
            { name: 'no-smb-between-spokes', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(445)] },
          ],
        }),
      }),
    });
  }
}

/** Properties of a {@link TgwHubStack}. */
export interface TgwHubStackProps extends StackProps {
  readonly security: InspectionVpc;
}

/** The hub: Transit Gateway, its two route tables and the inspection VPC with endpoints and NAT gateways. */
export class TgwHubStack extends Stack {
  public readonly hub: CentralizedInspection;

  constructor(scope: Construct, id: string, props: TgwHubStackProps) {
    super(scope, id, props);
    this.hub = new CentralizedInspection(this, 'Hub', { inspectionService: props.security, spokeSummaryCidrs: ['10.0.0.0/8'] });
  }
}

/** Properties of a {@link TgwSpokeStack}. */
export interface TgwSpokeStackProps extends StackProps {
  readonly hub: CentralizedInspection;
  readonly cidr: string;
}

/** A spoke VPC whose internet egress and traffic to other spokes is inspected by the hub. */
export class TgwSpokeStack extends Stack {
  public readonly spoke: InspectedSpoke;

  constructor(scope: Construct, id: string, props: TgwSpokeStackProps) {
    super(scope, id, props);
    this.spoke = new InspectedSpoke(this, 'Spoke', { hub: props.hub, cidr: props.cidr });
  }
}

/** The stacks of the centralized (Transit Gateway) example app. */
export interface TgwExampleApp {
  readonly security: TgwSecurityStack;
  readonly hub: TgwHubStack;
  readonly spokes: TgwSpokeStack[];
}

/**
 * Build the centralized inspection example: a security VPC, a Transit Gateway hub with its
 * inspection VPC, and two spokes, checked by cdk-nag's AWS Solutions pack and the path validator.
 * Account and region as in the ingress example (`-c account=... -c region=...` or the CLI's environment).
 */
export function createTgwExampleApp(app: App): TgwExampleApp {
  const env: Environment = {
    account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION,
  };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Validations.of(app).addPlugins(new GwlbPathValidator());
  const security = new TgwSecurityStack(app, 'GwlbTgwSecurity', { env, description: 'Centralized GWLB inspection: security VPC, Gateway Load Balancer and appliances' });
  const hub = new TgwHubStack(app, 'GwlbTgwHub', { env, security: security.inspection, description: 'Centralized GWLB inspection: Transit Gateway and inspection VPC' });
  const spokes = [['GwlbTgwSpokeA', '10.1.0.0/16'], ['GwlbTgwSpokeB', '10.2.0.0/16']].map(([id, cidr]) =>
    new TgwSpokeStack(app, id, { env, hub: hub.hub, cidr, description: `Centralized GWLB inspection: spoke VPC ${cidr}` }));
  return { security, hub, spokes };
}
