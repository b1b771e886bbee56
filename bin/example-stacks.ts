import { App, Environment, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { IGatewayLoadBalancerEndpointService } from '../lib/gwlb';
import {
  Appliance, AppliancePolicy, InspectedApplication, InspectionVpc, PortRange, RuleAction, RuleProtocol,
} from '../lib/patterns';
import { GwlbPathValidator } from '../lib/validation';

/** The security side: the inspection VPC with its appliances and endpoint service. */
export class SecurityStack extends Stack {
  public readonly inspection: InspectionVpc;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.inspection = new InspectionVpc(this, 'Inspection', {
      appliance: Appliance.agent({
        policy: AppliancePolicy.fromRules({
          defaultAction: RuleAction.ALLOW,
          rules: [
            { name: 'no-telnet', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(23)] },
            { name: 'no-smb', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(445)] },
          ],
        }),
      }),
    });
  }
}

/** Properties of an {@link ApplicationStack}. */
export interface ApplicationStackProps extends StackProps {
  /** The inspection service (from the security stack, or imported by name for another account). */
  readonly inspectionService: IGatewayLoadBalancerEndpointService;
}

/** The application side: a web application whose internet traffic is inspected. */
export class ApplicationStack extends Stack {
  public readonly application: InspectedApplication;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    this.application = new InspectedApplication(this, 'Application', { inspectionService: props.inspectionService });
  }
}

/** The stacks of the example app. */
export interface ExampleApp {
  readonly security: SecurityStack;
  readonly application: ApplicationStack;
}

/**
 * Build the example app: account and region from the context (`-c account=... -c region=...`)
 * or from the CLI's `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`; environment-agnostic when
 * neither is set. Every stack is checked with the cdk-nag AWS Solutions rules.
 */
export function createExampleApp(app: App): ExampleApp {
  const env: Environment = {
    account: app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION,
  };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Validations.of(app).addPlugins(new GwlbPathValidator());
  const security = new SecurityStack(app, 'GwlbInspectionSecurity', {
    env,
    description: 'GWLB inspection: security VPC, Gateway Load Balancer and appliances',
  });
  const application = new ApplicationStack(app, 'GwlbInspectionApplication', {
    env,
    description: 'GWLB inspection: application VPC whose internet traffic is inspected',
    inspectionService: security.inspection,
  });
  return { security, application };
}
